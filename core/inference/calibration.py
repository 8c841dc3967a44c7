"""How far a classifier's confidence can be trusted, and how a binary decision threshold trades its scores.

Plain numpy on a probability matrix (rows = examples, columns = classes) and true class ids:
top-label expected calibration error with its reliability bins, the binary threshold rule, and the
scores at every threshold from 0.01 to 0.99 (so a slider can move without running the model again).
No model code and no figures here (``core.plots.evaluation`` draws these).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import ConfigError

BINS = 10
THRESHOLDS = np.arange(1, 100) / 100  # 0.01 .. 0.99, exact hundredths


def reliability(probabilities: np.ndarray, true: np.ndarray, bins: int = BINS) -> tuple[float, list[dict[str, Any]]]:
    """Top-label expected calibration error and its ``bins`` equal-width confidence bins.

    An example's confidence is its highest probability, and it counts as right when that class is the
    true one. Bin ``b`` holds confidences in ``(b/bins, (b+1)/bins]`` (the first bin also holds 0). ECE is
    the count-weighted mean of ``|accuracy - mean confidence|`` over the bins. Empty bins have ``None``
    for their mean confidence and accuracy.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    true = np.asarray(true)
    confidence = probabilities.max(axis=1) if len(probabilities) else np.zeros(0)
    correct = (probabilities.argmax(axis=1) == true).astype(float) if len(probabilities) else np.zeros(0)
    edges = np.arange(bins + 1) / bins
    which = np.clip(np.searchsorted(edges[1:-1], confidence, side="left"), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sum_confidence = np.bincount(which, weights=confidence, minlength=bins)
    sum_correct = np.bincount(which, weights=correct, minlength=bins)
    table, ece = [], 0.0
    for b in range(bins):
        n = int(counts[b])
        mean_confidence = float(sum_confidence[b] / n) if n else None
        accuracy = float(sum_correct[b] / n) if n else None
        if n:
            ece += n / len(confidence) * abs(accuracy - mean_confidence)
        table.append({"lower": float(edges[b]), "upper": float(edges[b + 1]), "count": n,
                      "mean_confidence": mean_confidence, "accuracy": accuracy})
    return float(ece), table


def check_threshold(threshold: float | None, labels: list[str]) -> float | None:
    """``threshold`` as a float, or None when not given; a ConfigError if out of range or with more than two classes."""
    if threshold is None:
        return None
    if len(labels) != 2:
        raise ConfigError(f"A decision threshold needs two classes; this model has {len(labels)}: "
                          "leave the threshold out.")
    if not isinstance(threshold, int | float) or not 0.0 <= float(threshold) <= 1.0:
        raise ConfigError(f"The threshold must be a probability between 0 and 1 (got {threshold}), e.g. 0.5.")
    return float(threshold)


def decide(probabilities: np.ndarray, threshold: float | None) -> np.ndarray:
    """Predicted class ids: for two classes and a threshold, ``1`` when p(class 1) >= threshold; else the most
    probable class (for two classes the same as threshold 0.5, except that an exact tie goes to class 0, as
    the training's argmax decides; ties happen with bf16 logits)."""
    probabilities = np.asarray(probabilities)
    if threshold is None:
        return probabilities.argmax(axis=1)
    return (probabilities[:, 1] >= threshold).astype(int)


def threshold_curve(probabilities: np.ndarray, true: np.ndarray) -> dict[str, list[float]]:
    """Positive-class (id 1) precision, recall and F1, macro F1 and accuracy at thresholds 0.01 .. 0.99."""
    positive = np.asarray(probabilities, dtype=float)[:, 1]
    actual = np.asarray(true) == 1
    predicted = positive[None, :] >= THRESHOLDS[:, None]  # thresholds x examples
    tp = (predicted & actual).sum(axis=1)
    fp = (predicted & ~actual).sum(axis=1)
    fn = (~predicted & actual).sum(axis=1)
    tn = (~predicted & ~actual).sum(axis=1)
    f1_positive = _ratio(2 * tp, 2 * tp + fp + fn)
    f1_negative = _ratio(2 * tn, 2 * tn + fn + fp)
    # macro F1 averages over the classes that occur in the truth or the predictions (as scikit-learn does)
    has_positive = actual.any() | predicted.any(axis=1)
    has_negative = (~actual).any() | (~predicted).any(axis=1)
    f1_macro = _ratio(f1_positive * has_positive + f1_negative * has_negative, has_positive * 1 + has_negative)
    return {
        "thresholds": THRESHOLDS.tolist(),
        "precision": _ratio(tp, tp + fp).tolist(),
        "recall": _ratio(tp, tp + fn).tolist(),
        "f1": f1_positive.tolist(),
        "f1_macro": f1_macro.tolist(),
        "accuracy": _ratio(tp + tn, np.full_like(tp, len(actual))).tolist(),
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (scikit-learn's ``zero_division=0``)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
