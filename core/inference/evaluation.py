"""The result of scoring a classifier on labelled rows, kept whole so it can be re-sliced without the model.

An :class:`Evaluation` holds the labels, the texts, the true class ids and the probability matrix.
From those alone it answers everything a report needs, as plain JSON-ready data: the scores at a
decision threshold (two classes) or the most probable class, calibration, the rows of one
confusion-matrix cell, the most confident mistakes, the scores at every threshold; and it saves and
loads itself. Running the model is ``core.inference.evaluate``; figures are ``core.plots.evaluation``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError, DataError
from core.inference.calibration import check_threshold, decide, reliability, threshold_curve
from core.training.metrics import detailed_report

FORMAT = "tunescope-evaluation"
DIGITS = 6  # probabilities kept to 6 decimals when saved


@dataclass
class Evaluation:
    """Labels, texts (and second texts), true class ids and the ``n x k`` probability matrix of one evaluation.

    ``info`` says where it came from (model, data, run, max_length, warnings).
    """

    labels: list[str]
    texts: list[str] | None
    true: np.ndarray
    probabilities: np.ndarray
    pairs: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = [str(label) for label in self.labels]
        self.true = np.asarray(self.true, dtype=int)
        self.probabilities = np.asarray(self.probabilities, dtype=float)
        check_shapes(self.labels, self.true, self.probabilities, self.texts, self.pairs)

    def predicted(self, threshold: float | None = None) -> np.ndarray:
        """Predicted class ids: ``labels[1]`` when p(labels[1]) >= threshold (two classes, a threshold given), else
        the most probable class (``core.inference.calibration.decide``)."""
        return decide(self.probabilities, check_threshold(threshold, self.labels))

    def report(self, threshold: float | None = None) -> dict[str, Any]:
        """Accuracy, F1 (macro, weighted), precision and recall (macro), per-class scores, confusion matrix
        (rows = true, columns = predicted), top-label ECE and reliability bins, and for two classes the threshold."""
        threshold = check_threshold(threshold, self.labels)
        report = detailed_report(self.true, decide(self.probabilities, threshold), self.labels)
        report["ece"], report["reliability"] = reliability(self.probabilities, self.true)
        if len(self.labels) == 2:
            report["threshold"] = 0.5 if threshold is None else threshold
        return report

    def examples(self, true_label: str, predicted_label: str, limit: int = 20,
                 threshold: float | None = None) -> list[dict[str, Any]]:
        """The rows of one confusion-matrix cell, most confident first."""
        true_id, predicted_id = self._label_id(true_label), self._label_id(predicted_label)
        predicted = self.predicted(threshold)
        return self._rows(np.flatnonzero((self.true == true_id) & (predicted == predicted_id)), predicted, limit)

    def misclassified(self, limit: int = 50, threshold: float | None = None) -> list[dict[str, Any]]:
        """The wrongly predicted rows, most confident mistakes first."""
        predicted = self.predicted(threshold)
        return self._rows(np.flatnonzero(self.true != predicted), predicted, limit)

    def threshold_curve(self) -> dict[str, list[float]]:
        """Two classes: precision, recall and F1 of ``labels[1]``, macro F1 and accuracy at thresholds 0.01 .. 0.99."""
        if len(self.labels) != 2:
            raise ConfigError(f"A threshold curve needs two classes; this model has {len(self.labels)}.")
        return {"positive": self.labels[1], **threshold_curve(self.probabilities, self.true)}

    def _label_id(self, label: str) -> int:
        if label not in self.labels:
            raise DataError(f"'{label}' is not one of the model's labels: {', '.join(self.labels)}.")
        return self.labels.index(label)

    def _rows(self, index: np.ndarray, predicted: np.ndarray, limit: int) -> list[dict[str, Any]]:
        """Rows ``index`` as dicts, sorted by the probability of their predicted class (highest first)."""
        confidence = self.probabilities[index, predicted[index]]
        order = index[np.argsort(-confidence, kind="stable")][: max(0, int(limit))]
        return [{
            "index": int(i),
            "text": self.texts[i] if self.texts is not None else None,
            "pair": self.pairs[i] if self.pairs is not None else None,
            "true": self.labels[self.true[i]],
            "predicted": self.labels[predicted[i]],
            "confidence": round(float(self.probabilities[i, predicted[i]]), DIGITS),
        } for i in order]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (probabilities rounded to 6 decimals); :meth:`from_dict` reads it back."""
        return {"format": FORMAT, "version": 1, "labels": list(self.labels), "texts": self.texts,
                "pairs": self.pairs, "true": self.true.tolist(),
                "probabilities": np.round(self.probabilities, DIGITS).tolist(), "info": self.info}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Evaluation:
        """An evaluation from :meth:`to_dict`'s data (or from a CLI ``--output`` file's, which holds it)."""
        if isinstance(raw, dict) and isinstance(raw.get("evaluation"), dict):
            raw = raw["evaluation"]
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise DataError("This is not a saved TuneScope evaluation: evaluate again and save the result.")
        try:
            return cls(labels=list(raw["labels"]), texts=raw.get("texts"), true=np.asarray(raw["true"], dtype=int),
                       probabilities=np.asarray(raw["probabilities"], dtype=float), pairs=raw.get("pairs"),
                       info=dict(raw.get("info") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"The saved evaluation is damaged ({type(exc).__name__}): evaluate again.") from exc

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Evaluation:
        """An evaluation saved by :meth:`save` (or a CLI ``--output`` file)."""
        return cls.from_dict(read_saved(path))


def read_saved(path: str | Path) -> Any:
    """The JSON data of a saved evaluation file; a DataError when it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read the saved evaluation {Path(path).name}: {type(exc).__name__}.") from exc


def check_shapes(labels: list[str], true: np.ndarray, probabilities: np.ndarray, texts: list[str] | None,
                 pairs: list[str] | None) -> None:
    """A DataError unless there is one row of ``len(labels)`` probabilities, one class id and one text per example."""
    n = len(true)
    if len(labels) < 2:
        raise DataError(f"An evaluation needs at least two labels (got {len(labels)}).")
    if n == 0:
        raise DataError("There are no labelled rows to evaluate: give a file with labelled examples.")
    if true.ndim != 1 or probabilities.shape != (n, len(labels)):
        raise DataError(f"Give one row of {len(labels)} probabilities (one per label) for each of the {n} examples "
                        f"(got shape {list(probabilities.shape)}).")
    if true.min() < 0 or true.max() >= len(labels):
        raise DataError(f"True class ids must be between 0 and {len(labels) - 1}.")
    if not np.isfinite(probabilities).all() or (probabilities < 0).any() or (probabilities > 1).any():
        raise DataError("Probabilities must be numbers between 0 and 1.")
    if np.abs(probabilities.sum(axis=1) - 1).max() > 1e-3:
        raise DataError("Each row of probabilities must add up to 1 (one probability per label).")
    for name, values in (("texts", texts), ("second texts", pairs)):
        if values is not None and len(values) != n:
            raise DataError(f"Give one of the {name} for each of the {n} examples (got {len(values)}).")


def evaluate_predictions(labels: list[str], true_names: list[str], probabilities: Any, texts: list[str] | None = None,
                         pairs: list[str] | None = None, info: dict[str, Any] | None = None) -> Evaluation:
    """An :class:`Evaluation` from probabilities already computed (e.g. a labelled file predicted in the Predict tab).

    ``labels`` are the model's labels in column order of ``probabilities``; ``true_names`` must be among them.
    """
    labels = [str(label) for label in labels]
    names = [str(name) for name in true_names]
    unknown = sorted(set(names) - set(labels))
    if unknown:
        raise DataError(unknown_labels_message("the data", unknown, labels))
    index = {label: i for i, label in enumerate(labels)}
    return Evaluation(labels, None if texts is None else [str(t) for t in texts], np.array([index[n] for n in names]),
                      np.asarray(probabilities, dtype=float),
                      None if pairs is None else [str(p) for p in pairs], dict(info or {}))


def unknown_labels_message(where: str, unknown: list[str], labels: list[str]) -> str:
    """One sentence naming labels of ``where`` the model does not know, and the model's labels."""
    return (f"Labels in {where} that the model does not know: {', '.join(unknown[:5])}"
            f"{' and more' if len(unknown) > 5 else ''}. The model's labels are: {', '.join(labels)}.")
