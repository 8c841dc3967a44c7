"""Classification metrics from plain label ids: accuracy, macro F1, per-class scores, confusion.

Used by training (evaluation steps and ``metrics.json``: :func:`summary_metrics`, :func:`full_report`)
and by ``core.inference.evaluate`` (:func:`detailed_report` adds weighted F1 and macro precision and
recall). No model code and no calibration here (``core.inference.calibration``).
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
    """``compute_metrics`` for ``transformers.Trainer``: logits and label ids in, summary out."""
    logits, label_ids = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    return summary_metrics(np.asarray(label_ids), np.asarray(logits).argmax(axis=-1))
