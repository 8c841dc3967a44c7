"""Classification metrics from plain label ids: accuracy, macro F1, per-class scores, confusion.

Used by training (evaluation steps and ``metrics.json``: :func:`summary_metrics`, :func:`full_report`)
and by ``core.inference.evaluate`` (:func:`detailed_report` adds weighted F1 and macro precision and
recall). Multi-label data (0/1 matrices) gets micro and macro F1, subset accuracy (also reported as
``accuracy``) and per-label scores at decision thresholds tuned per label on the validation set
(:func:`tune_thresholds`, :func:`multi_label_report`). No model code and no calibration here
(``core.inference.calibration``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def summary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 (the numbers shown at each evaluation step)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def full_report(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    report = summary_metrics(y_true, y_pred)
    report["per_class"] = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    report["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=ids).tolist()
    report["labels"] = list(labels)
    report["samples"] = int(len(y_true))
    return report


def detailed_report(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """:func:`full_report` plus weighted F1 and macro precision and recall (what ``evaluate`` shows)."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    # averaged over the classes present in y_true or y_pred, like the training's macro F1
    report = full_report(y_true, y_pred, labels)
    report["f1_weighted"] = float(f1_score(y_true, y_pred, average="weighted", zero_division=0))
    report["precision_macro"] = float(precision_score(y_true, y_pred, average="macro", zero_division=0))
    report["recall_macro"] = float(recall_score(y_true, y_pred, average="macro", zero_division=0))
    return report


def trainer_metrics(eval_pred: Any) -> dict[str, float]:
    """``compute_metrics`` for ``transformers.Trainer``: logits and label ids (or multi-hot rows) in, summary out.

    Multi-label evaluation steps use the default threshold 0.5 on the sigmoid (thresholds are tuned at the end).
    """
    logits, label_ids = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    label_ids, logits = np.asarray(label_ids), np.asarray(logits)
    if label_ids.ndim == 2:
        return multi_label_summary(label_ids, logits > 0.0)  # sigmoid(x) > 0.5 exactly when x > 0
    return summary_metrics(label_ids, logits.argmax(axis=-1))


THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)
DEFAULT_THRESHOLD = 0.5


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(logits, dtype=np.float64), -60, 60)))


def multi_label_summary(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Micro and macro F1 and subset accuracy (all labels of a row right), also as ``accuracy``, of 0/1 matrices."""
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true) > 0.5, np.asarray(y_pred).astype(bool)
    subset = float((y_true == y_pred).all(axis=1).mean()) if len(y_true) else 0.0
    return {
        "accuracy": subset, "subset_accuracy": subset,
        "f1_micro": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "f1_macro": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def tune_thresholds(y_true: np.ndarray, probabilities: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """Per label, the threshold of ``grid`` with the best F1 (ties: the one nearest 0.5); 0.5 without positives."""
    y_true = np.asarray(y_true) > 0.5
    grid = np.asarray(sorted(grid, key=lambda t: (abs(t - DEFAULT_THRESHOLD), t)))
    probabilities, positives = np.asarray(probabilities), y_true.sum(axis=0)
    f1 = np.zeros((len(grid), y_true.shape[1]))
    for i, threshold in enumerate(grid):  # one threshold at a time: memory stays rows x labels
        predicted = probabilities >= threshold
        tp = (predicted & y_true).sum(axis=0)
        f1[i] = 2 * tp / np.maximum(predicted.sum(axis=0) + positives, 1)  # 2tp / (2tp + fp + fn)
    best = grid[f1.argmax(axis=0)]
    return np.where(positives > 0, best, DEFAULT_THRESHOLD).astype(float)


def multi_label_report(y_true: np.ndarray, logits: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """The multi-label ``metrics.json``: scores at per-label thresholds tuned here, per-label scores, and the
    scores at 0.5 (``at_default_threshold``: the tuned ones are measured on the rows they were tuned on)."""
    from sklearn.metrics import precision_recall_fscore_support

    y_true, probabilities = np.asarray(y_true) > 0.5, sigmoid(logits)
    thresholds = tune_thresholds(y_true, probabilities)
    y_pred = probabilities >= thresholds[None, :]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    report: dict[str, Any] = {"multi_label": True, **multi_label_summary(y_true, y_pred)}
    report["per_label"] = {
        label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(support[i]), "threshold": float(thresholds[i])}
        for i, label in enumerate(labels)
    }
    report["at_default_threshold"] = multi_label_summary(y_true, probabilities >= DEFAULT_THRESHOLD)
    report["labels"] = list(labels)
    report["samples"] = int(len(y_true))
    return report


def final_report(label_ids: np.ndarray, logits: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """``metrics.json`` of a run from the validation logits: :func:`full_report`, or :func:`multi_label_report`."""
    label_ids, logits = np.asarray(label_ids), np.asarray(logits)
    if label_ids.ndim == 2:
        return multi_label_report(label_ids, logits, labels)
    return full_report(label_ids, logits.argmax(-1), labels)


def label_thresholds(report: dict[str, Any]) -> dict[str, float] | None:
    """{label: decision threshold} of a multi-label report (what ``model/config.json`` stores), else None."""
    if not report.get("multi_label"):
        return None
    return {label: float(scores["threshold"]) for label, scores in report["per_label"].items()}
