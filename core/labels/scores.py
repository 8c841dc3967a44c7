"""How likely each given label is wrong, from probabilities a run produced: plain arrays in, arrays out.

Two sources of probabilities: the training dynamics (``core.training.dynamics``: the probabilities the
training forward passes gave each row, epoch by epoch; the first epoch's are close to out-of-sample,
later ones in-sample) and one pass of the final model over the training rows. Each source is turned
into label-quality scores by ``cleanlab`` (self-confidence: the probability of the given label;
for multi-label data one score per (row, label): the probability of a given label, or of the absence of
a label not given). A suspicion score is ``1 - quality``. Which source ranks flipped labels best was
measured by ``bench/bench_noise.py`` (see ``SOURCES``). Leaves out reading run folders and files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.training.dynamics import TrainingDynamics

METHOD = "self_confidence"
# bench/bench_noise.py, SST-2 (3,000 training rows, 150 flipped, default model, 1 epoch, max_length 64), share
# of the flips among the 150 most suspect rows, seeds 0/1/2: final pass 0.53/0.53/0.48, dynamics 0.37/0.39/0.42,
# their mean 0.49/0.45/0.45, random 0.05/0.03/0.03. Trained 3 epochs (seed 0): final 0.53, dynamics 0.47, mean 0.51.
SOURCES = ("final", "dynamics", "mixed")


@dataclass
class Suspicion:
    """Per row (single-label) or per (row, label) (multi-label): ``score`` (higher = more suspect), the
    suggested label index and the probability behind the suggestion."""

    score: np.ndarray
    suggestion: np.ndarray
    confidence: np.ndarray


def dynamics_probabilities(dynamics: TrainingDynamics) -> np.ndarray:
    """Each row's mean probabilities over its records (rows never recorded: NaN)."""
    recorded = ~np.isnan(dynamics.epochs)
    total = (dynamics.probabilities.astype(np.float32) * recorded[..., None]).sum(axis=1)
    counts = recorded.sum(axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan).astype(np.float32)


def blend(final: np.ndarray | None, dynamics: np.ndarray | None, source: str = "final") -> np.ndarray:
    """The probabilities to score: the final pass, the dynamics' means, or their average ("mixed").

    Rows the dynamics never recorded fall back to the final pass (and the reverse).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if final is None and dynamics is None:
        raise ValueError("need the final pass or the training dynamics")
    if final is None or source == "dynamics" and dynamics is not None:
        chosen = dynamics if final is None else np.where(np.isnan(dynamics), final, dynamics)
    elif dynamics is None or source == "final":
        chosen = final
    else:
        chosen = np.where(np.isnan(dynamics), final, (final + dynamics) / 2)
    return np.nan_to_num(np.asarray(chosen, dtype=np.float32), nan=0.0)


def single_label(given: np.ndarray, probabilities: np.ndarray) -> Suspicion:
    """One score per row; the suggestion is the most probable label other than the given one."""
    from cleanlab.rank import get_label_quality_scores

    given = np.asarray(given, dtype=np.int64)
    probabilities = _normalised(probabilities)
    quality = get_label_quality_scores(given, probabilities, method=METHOD)
    others = probabilities.copy()
    others[np.arange(len(given)), given] = -1.0
    suggestion = others.argmax(axis=1)
    return Suspicion(1.0 - quality, suggestion, probabilities[np.arange(len(given)), suggestion])


def multi_label(given: np.ndarray, probabilities: np.ndarray) -> Suspicion:
    """One score per (row, label), shaped (rows, labels): a label given but probably absent, or absent but
    probably present. The suggestion is the flipped decision (1 = add the label, 0 = remove it) and its
    confidence the probability of that flip."""
    from cleanlab.multilabel_classification.rank import get_label_quality_scores_per_class

    given = np.asarray(given, dtype=bool)
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    names = [np.flatnonzero(row).tolist() for row in given]
    quality = np.asarray(get_label_quality_scores_per_class(names, probabilities, method=METHOD))  # rows x labels
    suggestion = (~given).astype(np.int64)
    confidence = np.where(given, 1.0 - probabilities, probabilities)
    return Suspicion(1.0 - quality, suggestion, confidence)


def _normalised(probabilities: np.ndarray) -> np.ndarray:
    """Rows that sum to one (float16 records and autocast leave them a little off)."""
    probabilities = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-9, None)
    return probabilities / probabilities.sum(axis=1, keepdims=True)
