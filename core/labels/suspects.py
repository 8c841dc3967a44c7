"""The most suspect training rows of a finished or stopped run, as a table: given label, suggestion, score.

The run's training rows are rebuilt from its config (``core.training.datasets.load_frames``, the rows
the training dynamics were recorded for, in the same order). The final model's probabilities of those
rows are computed once and cached in the run folder (``train_probabilities.npz``, keyed by the model
files' times); the training dynamics are the run's ``dynamics.npz``. ``core.labels.scores`` turns them
into scores. Leaves out changing the data and retraining (``core.labels.fixes``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import runs
from core.config import RunConfig
from core.data import LABEL, TEXT, TEXT_PAIR, file_hash
from core.data.multilabel import multi_hot
from core.errors import DataError, RunError
from core.files import written_aside
from core.inference.labelsets import joined
from core.inference.loading import files_stamp, load_for_inference
from core.inference.probabilities import predict_probabilities
from core.labels import scores
from core.training.datasets import is_multi_label, load_frames
from core.training.dynamics import DYNAMICS_FILE, TrainingDynamics

FINAL = "train_probabilities.npz"
SOURCE = "final"  # what bench/bench_noise.py measured to rank flipped labels best (core.labels.scores)
GIVEN_ABSENT, ABSENT_PRESENT = "given but probably absent", "absent but probably present"
Progress = Callable[[int, int], Any]


@dataclass
class RunRows:
    """A run's training rows: the frame (text, [text_pair], label), its labels, and the given labels as
    class ids (single-label) or a boolean rows x labels matrix (multi-label); ``val`` its validation rows."""

    run_dir: Path
    config: RunConfig
    frame: pd.DataFrame
    labels: list[str]
    multi_label: bool
    given: np.ndarray
    val: pd.DataFrame

    def label_text(self, value: Any) -> str:
        """A given label (class id) or label set (boolean row) as text: ``a;b`` for a set."""
        return joined(value, self.labels) if self.multi_label else self.labels[int(value)]


def run_rows(run_dir: str | Path) -> RunRows:
    """The training rows of a run that ended, rebuilt as training saw them; a one-sentence error if they cannot be."""

    run_dir = runs.require_run(run_dir)
    state = runs.read_status(run_dir).get("state")
    if state in runs.ACTIVE_STATES:
        raise RunError(f"Run {run_dir.name} is still {state}: its suspect labels are found once it ends.")
    config = runs.load_config(run_dir)
    train_file = config.data.train_file
    if not Path(train_file).is_file():
        raise DataError(f"Run {run_dir.name}'s training file is gone, so its rows cannot be checked.")
    if config.data_hash and file_hash(train_file) != config.data_hash:
        raise DataError(f"Run {run_dir.name}'s training file changed after the run, so its rows cannot be checked.")
    frame, val, _ = load_frames(config)
    frame = frame.reset_index(drop=True)
    labels = list(config.labels)
    multi = is_multi_label(frame)
    if multi:
        given = multi_hot(frame[LABEL], labels).astype(bool)
    else:
        index = {label: i for i, label in enumerate(labels)}
        given = np.array([index[label] for label in frame[LABEL]], dtype=np.int64)
    return RunRows(run_dir, config, frame, labels, multi, given, val)


def final_probabilities(rows: RunRows, progress: Progress | None = None) -> np.ndarray:
    """The saved model's probabilities of every training row (rows x labels, the run's label order), cached."""

    model = rows.run_dir / "model"
    if not (model / "config.json").exists():
        raise RunError(f"Run {rows.run_dir.name} has no saved model, so its rows cannot be checked.")
    stamp, cache = repr(files_stamp(model)), rows.run_dir / FINAL
    cached = _read_cache(cache, stamp, (len(rows.frame), len(rows.labels)))
    if cached is not None:
        return cached
    loaded = load_for_inference(str(rows.run_dir))
    order = [loaded.labels.index(label) for label in rows.labels]  # the run's label order
    train = rows.config.train
    pairs = rows.frame[TEXT_PAIR].tolist() if TEXT_PAIR in rows.frame.columns else None
    probabilities = predict_probabilities(
        loaded, rows.frame[TEXT].tolist(), pairs, batch_size=max(train.batch_size, 64), max_length=train.max_length,
        progress=progress, precision=rows.config.resolved.get("precision") or "fp32", max_tokens=None)[:, order]
    with written_aside(cache, ".partial.npz") as tmp:
        np.savez_compressed(tmp, probabilities=probabilities.astype(np.float32), stamp=np.array(stamp))
    return probabilities.astype(np.float32)


def _read_cache(path: Path, stamp: str, shape: tuple[int, int]) -> np.ndarray | None:
    """The cached probabilities when they were computed by these model files for these rows, else None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["stamp"]) == stamp and data["probabilities"].shape == shape:
                return data["probabilities"]
    except (OSError, KeyError, ValueError):
        return None
    return None


def dynamics_probabilities(rows: RunRows) -> np.ndarray | None:
    """The mean recorded probabilities per row, or None when the run recorded no usable dynamics."""
    path = rows.run_dir / DYNAMICS_FILE
    if not path.is_file():
        return None
    dynamics = TrainingDynamics.load(path)
    if dynamics.rows != len(rows.frame) or dynamics.labels != len(rows.labels):
        return None
    return scores.dynamics_probabilities(dynamics)


def suspicion(rows: RunRows, source: str = SOURCE, progress: Progress | None = None) -> scores.Suspicion:
    """The scores of every row (or (row, label) for multi-label data) from ``source`` (``scores.SOURCES``)."""
    final = final_probabilities(rows, progress) if source != "dynamics" else None
    dynamics = dynamics_probabilities(rows) if source != "final" else None
    if source == "dynamics" and dynamics is None:
        raise RunError(f"Run {rows.run_dir.name} recorded no training dynamics: train it again with this version.")
    probabilities = scores.blend(final, dynamics, source)
    return (scores.multi_label if rows.multi_label else scores.single_label)(rows.given, probabilities)


def find_suspects(run_dir: str | Path, top: int | None = None, progress: Progress | None = None,
                  source: str = SOURCE) -> pd.DataFrame:
    """The run's training rows by how likely their label is wrong, most suspect first.

    Columns: ``row`` (position in the training rows), ``text`` (and ``text_pair``), ``given``,
    ``suggested``, ``confidence`` (the model's probability of the suggestion), ``score`` (higher = more
    suspect). Multi-label runs get one line per (row, label) with ``label`` and ``issue`` (a label given
    but probably absent, or absent but probably present); ``given``/``suggested`` are label sets (``a;b``).
    """
    if top is not None and int(top) < 1:
        raise DataError(f"top must be a positive number of rows (got {top}).")
    rows = run_rows(run_dir)
    found = suspicion(rows, source, progress)
    table = _multi_table(rows, found) if rows.multi_label else _single_table(rows, found)
    table = table.sort_values(["score", "row"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return table.head(int(top)) if top is not None else table


def _texts(rows: RunRows, index: np.ndarray) -> dict[str, Any]:
    out = {"row": index, "text": rows.frame[TEXT].to_numpy()[index]}
    if TEXT_PAIR in rows.frame.columns:
        out["text_pair"] = rows.frame[TEXT_PAIR].to_numpy()[index]
    return out


def _single_table(rows: RunRows, found: scores.Suspicion) -> pd.DataFrame:
    index = np.arange(len(rows.frame))
    return pd.DataFrame({**_texts(rows, index), "given": [rows.labels[i] for i in rows.given],
                         "suggested": [rows.labels[i] for i in found.suggestion],
                         "confidence": found.confidence.astype(float), "score": found.score.astype(float)})


def _multi_table(rows: RunRows, found: scores.Suspicion) -> pd.DataFrame:
    n, k = rows.given.shape
    row, label = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    flipped = rows.given[row].copy()
    flipped[np.arange(len(row)), label] = ~flipped[np.arange(len(row)), label]
    return pd.DataFrame({**_texts(rows, row), "label": [rows.labels[j] for j in label],
                         "issue": np.where(rows.given[row, label], GIVEN_ABSENT, ABSENT_PRESENT),
                         "given": [rows.label_text(g) for g in rows.given[row]],
                         "suggested": [rows.label_text(f) for f in flipped],
                         "confidence": found.confidence[row, label].astype(float),
                         "score": found.score[row, label].astype(float)})
