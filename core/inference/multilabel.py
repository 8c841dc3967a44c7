"""The result of scoring a multi-label classifier on labelled rows, kept whole to be re-sliced without the model.

A :class:`MultiLabelEvaluation` holds the labels, their decision thresholds (the model's tuned
ones), the texts, the true label sets (a boolean ``rows x labels`` matrix) and the sigmoid
probabilities. It answers the report (micro/macro F1, subset accuracy, Hamming loss, per-label
scores with TP/FP/FN/TN, calibration of every label decision), the rows of one label's outcome
(true/false positives and negatives), the most confident mistakes and every label's scores at
thresholds 0.01 .. 0.99; it saves and loads itself like ``core.inference.evaluation.Evaluation``.
Running the model is ``core.inference.evaluate``; figures are ``core.plots.evaluation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError, DataError
from core.inference.calibration import reliability, threshold_curve
from core.inference.evaluation import DIGITS, FORMAT, Evaluation, read_saved
from core.inference.labelsets import choose, joined, label_matrix, multilabel_scores

OUTCOMES = ("tp", "fp", "fn", "tn")


@dataclass
class MultiLabelEvaluation:
    """Labels, thresholds, texts (and second texts), true label sets and sigmoid probabilities of one evaluation."""

    labels: list[str]
    texts: list[str] | None
    true: np.ndarray
    probabilities: np.ndarray
    thresholds: list[float]
    pairs: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    multi_label: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        self.labels = [str(label) for label in self.labels]
        self.true = np.asarray(self.true, dtype=bool)
        self.probabilities = np.asarray(self.probabilities, dtype=float)
        self.thresholds = [float(t) for t in self.thresholds]
        check_multilabel_shapes(self)

    def _thresholds(self, threshold: float | None) -> list[float]:
        """The model's per-label thresholds, or ``threshold`` for every label when given."""
        if threshold is None:
            return self.thresholds
        if not isinstance(threshold, int | float) or not 0.0 <= float(threshold) <= 1.0:
            raise ConfigError(f"The threshold must be a probability between 0 and 1 (got {threshold}), e.g. 0.5.")
        return [float(threshold)] * len(self.labels)

    def predicted(self, threshold: float | None = None) -> np.ndarray:
        """Chosen labels (boolean ``rows x labels``) at the model's thresholds, or ``threshold`` for every label."""
        return choose(self.probabilities, self._thresholds(threshold))

    def report(self, threshold: float | None = None) -> dict[str, Any]:
        """:func:`~core.inference.labelsets.multilabel_scores` plus the expected calibration error and reliability
        bins of every (row, label) decision, and ``threshold`` when one was given for every label."""
        thresholds = self._thresholds(threshold)
        report = multilabel_scores(self.true, choose(self.probabilities, thresholds), self.labels, thresholds)
        flat = self.probabilities.reshape(-1)
        report["ece"], report["reliability"] = reliability(np.stack([1 - flat, flat], axis=1),
                                                           self.true.reshape(-1).astype(int))
        if threshold is not None:
            report["threshold"] = float(threshold)
        return report

    def examples(self, label: str, outcome: str, limit: int = 20, threshold: float | None = None) -> list[dict[str, Any]]:
        """The rows where ``label`` was a true/false positive/negative (``outcome`` "tp", "fp", "fn", "tn"),
        the most confident first."""
        if outcome not in OUTCOMES:
            raise DataError(f"Choose an outcome among {', '.join(OUTCOMES)} (got '{outcome}').")
        if label not in self.labels:
            raise DataError(f"'{label}' is not one of the model's labels: {', '.join(self.labels)}.")
        j = self.labels.index(label)
        predicted = self.predicted(threshold)
        wanted_true, wanted_predicted = outcome in ("tp", "fn"), outcome in ("tp", "fp")
        index = np.flatnonzero((self.true[:, j] == wanted_true) & (predicted[:, j] == wanted_predicted))
        p = self.probabilities[index, j]
        return self._rows(index, np.where(wanted_predicted, p, 1 - p), predicted, limit, label)

    def misclassified(self, limit: int = 50, threshold: float | None = None) -> list[dict[str, Any]]:
        """Rows whose chosen labels differ from the true ones, most confident mistake first (the probability a
        wrong label was chosen with, or one minus that of a missed label)."""
        predicted = self.predicted(threshold)
        wrong = predicted != self.true
        index = np.flatnonzero(wrong.any(axis=1))
        sure = np.where(predicted, self.probabilities, 1 - self.probabilities)
        confidence = np.where(wrong, sure, -1.0)[index]
        return self._rows(index, confidence.max(axis=1), predicted, limit,
                          targets=[self.labels[j] for j in confidence.argmax(axis=1)])

    def _rows(self, index: np.ndarray, confidence: np.ndarray, predicted: np.ndarray, limit: int,
              label: str | None = None, targets: list[str] | None = None) -> list[dict[str, Any]]:
        """Rows ``index`` as dicts, highest ``confidence`` first; ``target`` is the label to explain."""
        order = np.argsort(-confidence, kind="stable")[: max(0, int(limit))]
        return [{
            "index": int(index[o]),
            "text": self.texts[index[o]] if self.texts is not None else None,
            "pair": self.pairs[index[o]] if self.pairs is not None else None,
            "true": joined(self.true[index[o]], self.labels),
            "predicted": joined(predicted[index[o]], self.labels),
            "confidence": round(float(confidence[o]), DIGITS),
            "target": label if label is not None else targets[o],
        } for o in order]

    def threshold_curves(self) -> dict[str, dict[str, Any]]:
        """Per label: its precision, recall, F1, macro F1 (of yes/no) and accuracy at thresholds 0.01 .. 0.99, and
        the model's threshold for it (``core.plots.evaluation.threshold_figure`` draws one)."""
        curves = {}
        for j, label in enumerate(self.labels):
            p = self.probabilities[:, j]
            curves[label] = {"positive": label, "threshold": self.thresholds[j],
                             **threshold_curve(np.stack([1 - p, p], axis=1), self.true[:, j].astype(int))}
        return curves

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (probabilities rounded to 6 decimals); :func:`evaluation_from_dict` reads it back."""
        return {"format": FORMAT, "version": 1, "multi_label": True, "labels": list(self.labels),
                "thresholds": list(self.thresholds), "texts": self.texts, "pairs": self.pairs,
                "true": self.true.astype(int).tolist(), "probabilities": np.round(self.probabilities, DIGITS).tolist(),
                "info": self.info}

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``."""
        return Evaluation.save(self, path)  # type: ignore[arg-type]  # the same writer, this class's data


def evaluation_from_dict(raw: dict[str, Any]) -> Evaluation | MultiLabelEvaluation:
    """A single- or multi-label evaluation from its ``to_dict`` data (or a CLI ``--output`` file's)."""
    inner = raw.get("evaluation") if isinstance(raw, dict) and isinstance(raw.get("evaluation"), dict) else raw
    if not (isinstance(inner, dict) and inner.get("multi_label")):
        return Evaluation.from_dict(raw)
    if inner.get("format") != FORMAT:
        raise DataError("This is not a saved TuneScope evaluation: evaluate again and save the result.")
    try:
        return MultiLabelEvaluation(list(inner["labels"]), inner.get("texts"), np.asarray(inner["true"], dtype=bool),
                                    np.asarray(inner["probabilities"], dtype=float), list(inner["thresholds"]),
                                    inner.get("pairs"), dict(inner.get("info") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"The saved evaluation is damaged ({type(exc).__name__}): evaluate again.") from exc


def load_evaluation(path: str | Path) -> Evaluation | MultiLabelEvaluation:
    """A single- or multi-label evaluation saved by ``save`` (or a CLI ``--output`` file)."""
    return evaluation_from_dict(read_saved(path))


def check_multilabel_shapes(evaluation: MultiLabelEvaluation) -> None:
    """A DataError unless there is one row of probabilities, one true label set and one text per example."""
    labels, true, probabilities = evaluation.labels, evaluation.true, evaluation.probabilities
    n = len(true)
    if not labels:
        raise DataError("A multi-label evaluation needs at least one label.")
    if n == 0:
        raise DataError("There are no labelled rows to evaluate: give a file with labelled examples.")
    if true.shape != (n, len(labels)) or probabilities.shape != true.shape:
        raise DataError(f"Give one row of {len(labels)} probabilities and true labels (one per label) for each of the "
                        f"{n} examples (got shapes {list(probabilities.shape)} and {list(true.shape)}).")
    if len(evaluation.thresholds) != len(labels):
        raise DataError(f"Give one threshold per label ({len(labels)}, got {len(evaluation.thresholds)}).")
    if not np.isfinite(probabilities).all() or (probabilities < 0).any() or (probabilities > 1).any():
        raise DataError("Probabilities must be numbers between 0 and 1.")
    for name, values in (("texts", evaluation.texts), ("second texts", evaluation.pairs)):
        if values is not None and len(values) != n:
            raise DataError(f"Give one of the {name} for each of the {n} examples (got {len(values)}).")


def multilabel_predictions(labels: list[str], thresholds: list[float], true_sets: list[Any], probabilities: Any,
                           texts: list[str] | None = None, pairs: list[str] | None = None,
                           info: dict[str, Any] | None = None, where: str = "the data") -> MultiLabelEvaluation:
    """A :class:`MultiLabelEvaluation` from probabilities already computed; ``true_sets`` are label sets (tuples,
    or cells such as ``a;b``) whose labels must all be the model's."""
    labels = [str(label) for label in labels]
    return MultiLabelEvaluation(labels, None if texts is None else [str(t) for t in texts],
                                label_matrix(true_sets, labels, where), np.asarray(probabilities, dtype=float),
                                thresholds, None if pairs is None else [str(p) for p in pairs], dict(info or {}))
