"""Training dynamics: every train row's predicted probabilities, each time training saw the row.

The trainer (``core.training.trainer.WeightedTrainer``) calls :meth:`TrainingDynamics.record` from its
training forward passes (no extra passes); fine-tuning (``core.training.finetune``) saves the record as the
run folder's ``dynamics.npz`` (:data:`DYNAMICS_FILE`) when training ends or stops. Each row keeps its records
in the order they came (a row is normally seen once per epoch), with the epoch each was recorded at.
``core.labels`` reads it back (:meth:`TrainingDynamics.load`). Leaves out scoring the rows (``core.labels.scores``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import RunError
from core.files import replace_with

FORMAT = 1
FLUSH_EVERY = 64  # batches kept on the device between two copies to the host
DYNAMICS_FILE = "dynamics.npz"  # in the run folder


class TrainingDynamics:
    """Probabilities per (row, record, label) as float16; ``epochs`` per (row, record), NaN = none."""

    def __init__(self, rows: int, labels: int, multi_label: bool = False) -> None:
        if rows < 0 or labels < 1:
            raise ValueError(f"need rows >= 0 and labels >= 1, got {rows} rows and {labels} labels")
        self.rows, self.labels, self.multi_label = int(rows), int(labels), bool(multi_label)
        self.counts = np.zeros(self.rows, dtype=np.int32)
        self.probabilities = np.zeros((self.rows, 0, self.labels), dtype=np.float16)
        self.epochs = np.full((self.rows, 0), np.nan, dtype=np.float32)
        self._pending: list[tuple[Any, Any, float]] = []

    def add(self, rows: Any, probabilities: Any, epoch: float) -> None:
        """Keep one batch as it is — tensors on the training device, so a step waits for no copy to the host —
        and :meth:`record` the kept batches together every :data:`FLUSH_EVERY` batches (and before a save)."""
        self._pending.append((rows, probabilities, float(epoch)))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Record the batches :meth:`add` kept, in the order they came."""
        pending, self._pending = self._pending, []
        for rows, probabilities, epoch in pending:
            self.record(_on_host(rows), _on_host(probabilities), epoch)

    def _grow(self, slots: int) -> None:
        have = self.probabilities.shape[1]
        if slots <= have:
            return
        new = max(slots, 2 * have, 2)
        probabilities = np.zeros((self.rows, new, self.labels), dtype=np.float16)
        probabilities[:, :have] = self.probabilities
        epochs = np.full((self.rows, new), np.nan, dtype=np.float32)
        epochs[:, :have] = self.epochs
        self.probabilities, self.epochs = probabilities, epochs

    def record(self, rows: np.ndarray, probabilities: np.ndarray, epoch: float) -> None:
        """Append one record per row: ``rows`` (batch,) positions, ``probabilities`` (batch, labels)."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        probabilities = np.asarray(probabilities, dtype=np.float32).reshape(len(rows), -1)
        if probabilities.shape[1] != self.labels:
            raise ValueError(f"expected {self.labels} probabilities per row, got {probabilities.shape[1]}")
        if len(rows) and (rows.min() < 0 or rows.max() >= self.rows):
            raise ValueError(f"row positions must be in 0..{self.rows - 1}")
        # A row repeated inside one batch (an oversampling sampler) gets one slot per occurrence.
        for once in _split_repeats(rows):
            slots = self.counts[rows[once]]
            self._grow(int(slots.max()) + 1 if len(slots) else 0)
            self.probabilities[rows[once], slots] = probabilities[once]
            self.epochs[rows[once], slots] = float(epoch)
            self.counts[rows[once]] += 1

    @property
    def seen(self) -> int:
        """Records per row at most (the width of the stored arrays that holds data)."""
        return int(self.counts.max()) if self.rows else 0

    def save(self, path: str | Path) -> Path:
        """Write a compressed ``.npz`` (via a temporary file, so a reader never sees half a file)."""
        self.flush()
        path = Path(path)
        width = self.seen
        tmp = path.with_name(path.name + ".partial.npz")
        np.savez_compressed(tmp, format=np.int32(FORMAT), multi_label=np.bool_(self.multi_label),
                            counts=self.counts, probabilities=self.probabilities[:, :width],
                            epochs=self.epochs[:, :width])
        return replace_with(tmp, path)

    @classmethod
    def merged(cls, parts: list[TrainingDynamics]) -> TrainingDynamics:
        """One record of the rows several processes each recorded a share of (a run on several devices), each row's
        records in the order of their epochs."""
        made = cls(rows=parts[0].rows, labels=parts[0].labels, multi_label=parts[0].multi_label)
        for part in parts:
            part.flush()
            for slot in range(part.seen):
                rows = np.flatnonzero(part.counts > slot)
                slots = made.counts[rows]
                made._grow(int(slots.max()) + 1)
                made.probabilities[rows, slots] = part.probabilities[rows, slot]
                made.epochs[rows, slots] = part.epochs[rows, slot]
                made.counts[rows] += 1
        order = np.argsort(np.where(np.isnan(made.epochs), np.inf, made.epochs), axis=1, kind="stable")
        made.probabilities = np.take_along_axis(made.probabilities, order[..., None], axis=1)
        made.epochs = np.take_along_axis(made.epochs, order, axis=1)
        return made

    @classmethod
    def load(cls, path: str | Path) -> TrainingDynamics:
        """Read what :meth:`save` wrote; a missing or damaged file is a ``RunError``."""
        path = Path(path)
        if not path.is_file():
            raise RunError(f"{path.name} is missing: train the run again with this version to record its training dynamics.")
        try:
            with np.load(path, allow_pickle=False) as data:
                probabilities = data["probabilities"].astype(np.float16)
                made = cls(rows=probabilities.shape[0], labels=probabilities.shape[2],
                           multi_label=bool(data["multi_label"]))
                made.counts = data["counts"].astype(np.int32)
                made.epochs = data["epochs"].astype(np.float32)
        except (OSError, KeyError, ValueError, IndexError, zipfile.BadZipFile) as error:
            raise RunError(f"{path.name} cannot be read ({error}): train the run again to record it.") from error
        made.probabilities = probabilities
        return made


def _split_repeats(rows: np.ndarray) -> list[np.ndarray]:
    """Index groups of ``rows`` in which no row repeats (usually one group: the whole batch)."""
    if len(np.unique(rows)) == len(rows):
        return [np.arange(len(rows))]
    occurrence = np.zeros(len(rows), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, row in enumerate(rows.tolist()):
        occurrence[i] = seen.get(row, 0)
        seen[row] = occurrence[i] + 1
    return [np.flatnonzero(occurrence == k) for k in range(int(occurrence.max()) + 1)]


def _on_host(values: Any) -> np.ndarray:
    """A numpy copy of a tensor (wherever it lives) or of an array."""
    return values.cpu().numpy() if hasattr(values, "cpu") else np.asarray(values)
