"""Sets of labels per row, for multi-label models: reading them, choosing them, scoring them.

A column of rows' labels (tuples as ``core.data`` gives them for multi-label data, or cells such as
``billing;bug``, ``billing|bug``, ``["billing", "bug"]``, read by ``core.data.multilabel``) becomes a
boolean ``rows x labels`` matrix (:func:`label_matrix`). A model chooses every label whose sigmoid probability reaches its threshold
(:func:`choose`; choosing none is a valid answer). :func:`multilabel_scores` gives micro and macro
F1, subset accuracy, Hamming loss and per-label precision/recall/F1/support/threshold with each
label's TP/FP/FN/TN, computed with scikit-learn. Leaves out running models (``core.inference.predict``)
and keeping a result (``core.inference.multilabel``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from core.data.multilabel import list_format, split_labels
from core.errors import DataError
from core.inference.evaluation import unknown_labels_message
from core.training.metrics import multi_label_summary

SEPARATOR = ";"  # how chosen labels are joined in files and messages


def label_sets(cells: Iterable[Any]) -> list[tuple[str, ...]]:
    """Each cell's labels as a tuple: tuples and lists (``core.data``'s multi-label tables) as they are, text
    cells split the way ``core.data`` reads a multi-label column forced to multi-label (``a;b``, ``a|b``,
    a JSON list, or one label per cell); an empty cell is no label."""
    values = list(cells)
    if all(isinstance(value, tuple | list) for value in values):
        return [tuple(str(v) for v in value) for value in values]
    text = pd.Series([SEPARATOR.join(map(str, v)) if isinstance(v, tuple | list) else v for v in values],
                     dtype="string").fillna("").str.strip()
    how = list_format(text[text != ""].value_counts(), "yes") or "one"
    return [tuple(row) for row in split_labels(text, how)]


def label_matrix(values: Iterable[Any], labels: list[str], where: str = "the data") -> np.ndarray:
    """A boolean ``rows x len(labels)`` matrix of the label sets in ``values``; a DataError naming unknown labels."""
    sets = label_sets(values)
    index = {label: j for j, label in enumerate(labels)}
    unknown = sorted({label for row in sets for label in row} - set(index))
    if unknown:
        raise DataError(unknown_labels_message(where, unknown, labels))
    matrix = np.zeros((len(sets), len(labels)), dtype=bool)
    for i, row in enumerate(sets):
        matrix[i, [index[label] for label in row]] = True
    return matrix


def choose(probabilities: np.ndarray, thresholds: Iterable[float]) -> np.ndarray:
    """Chosen labels: ``probability >= threshold`` per label, compared in float64 as training decided them (a
    boolean matrix the shape of ``probabilities``)."""
    return np.asarray(probabilities, dtype=np.float64) >= np.asarray(list(thresholds), dtype=np.float64)[None, :]


def names(row: np.ndarray, labels: list[str]) -> list[str]:
    """The label names of one boolean row, in label order."""
    return [labels[j] for j in np.flatnonzero(row)]


def joined(row: np.ndarray, labels: list[str]) -> str:
    """The label names of one boolean row joined by ``;`` (empty when none is chosen)."""
    return SEPARATOR.join(names(row, labels))


def multilabel_scores(true: np.ndarray, predicted: np.ndarray, labels: list[str],
                      thresholds: Iterable[float]) -> dict[str, Any]:
    """The scores of ``predicted`` against ``true`` label sets (boolean matrices), in metrics.json's names
    (``core.training.metrics.multi_label_summary``: ``accuracy`` is the subset accuracy, macro F1
    averages over every label), plus the Hamming loss and each label's TP/FP/FN/TN and threshold.
    """
    from sklearn.metrics import hamming_loss, multilabel_confusion_matrix, precision_recall_fscore_support

    true, predicted = np.asarray(true, dtype=int), np.asarray(predicted, dtype=int)
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, average=None, zero_division=0)
    cells = multilabel_confusion_matrix(true, predicted)  # per label [[TN, FP], [FN, TP]]
    per_label = {
        label: {"precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
                "support": int(support[j]), "threshold": float(threshold), "tp": int(cells[j, 1, 1]),
                "fp": int(cells[j, 0, 1]), "fn": int(cells[j, 1, 0]), "tn": int(cells[j, 0, 0])}
        for j, (label, threshold) in enumerate(zip(labels, thresholds, strict=True))
    }
    return {"multi_label": True, **multi_label_summary(true, predicted),
            "hamming_loss": float(hamming_loss(true, predicted)), "per_label": per_label, "labels": list(labels),
            "samples": int(len(true))}
