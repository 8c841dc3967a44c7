"""Act on suspect labels: a corrected copy of a run's training rows, and a new run trained on it.

The corrected copy holds the run's training rows (``core.labels.suspects.run_rows``: the rows training
saw, after the validation split) minus the dropped rows, with the new labels, as a CSV with the columns
``text``, ``text_pair`` (pair tasks) and ``label`` (multi-label: a JSON list of labels per row). It is
stored in the upload area under a server-issued id (``core.data.uploads.store_upload``), and so are the
run's validation rows (as training read them: from its validation file or split off). The retrained run
keeps every setting, is scored on the same validation rows, and records what changed in ``data_changes.json``.
Leaves out finding the suspects (``core.labels.suspects``) and how training runs.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from core import job, runs
from core.config import RunConfig
from core.data import LABEL, TEXT, TEXT_PAIR, Columns
from core.data.uploads import store_upload
from core.errors import DataError
from core.inference.labelsets import SEPARATOR, label_matrix
from core.labels.suspects import RunRows, run_rows

CHANGES = "data_changes.json"
TAG = "fixed-labels"  # the Runs tab's tag on a run retrained on corrected labels


@dataclass
class FixedData:
    """The corrected training file, the validation file to score on, and what changed."""

    train_file: Path
    val_file: Path
    changes: dict[str, Any]


def uploads_folder(run_dir: str | Path) -> Path:
    """The upload area of the runs folder holding ``run_dir`` (the app's ``Places.uploads``)."""
    return Path(run_dir).resolve().parent / "uploads"


def checked_changes(rows: RunRows, drop: list[int], relabel: dict[Any, Any]) -> tuple[list[int], dict[int, Any]]:
    """Row positions and new labels checked against the run: positions in range, labels among the run's.

    New labels are label names; for multi-label runs a label set (``a;b``, a JSON list, or a list).
    """
    n = len(rows.frame)
    try:
        dropped = sorted({int(r) for r in drop or []})
        changes = {int(r): label for r, label in (relabel or {}).items()}
    except (TypeError, ValueError) as error:
        raise DataError("Rows are given by their number in the suspect list (the 'row' column).") from error
    outside = [r for r in [*dropped, *changes] if not 0 <= r < n]
    if outside:
        raise DataError(f"Row {outside[0]} is not a training row of this run: rows run from 0 to {n - 1}.")
    both = sorted(set(dropped) & set(changes))
    if both:
        raise DataError(f"Row {both[0]} is both dropped and relabelled: choose one.")
    if len(dropped) >= n:
        raise DataError("Dropping every training row leaves nothing to train on: keep some rows.")
    labels = {r: _label_value(rows, label) for r, label in changes.items()}
    labels = {r: label for r, label in labels.items() if label != rows.frame.at[r, LABEL]}  # same label: no change
    if not dropped and not labels:
        raise DataError("Nothing to change: choose rows to drop, or give rows a label other than their own.")
    return dropped, labels


def _label_value(rows: RunRows, label: Any) -> Any:
    """A new label as the frame holds it: a label name, or a tuple of label names in the run's order."""
    if rows.multi_label:
        value = tuple(map(str, label)) if isinstance(label, list | tuple) else \
            (str(label),) if str(label) in rows.labels else str(label)
        matrix = label_matrix([value], rows.labels, "the new labels")
        return tuple(rows.labels[j] for j in matrix[0].nonzero()[0])
    if str(label) not in rows.labels:
        shown = ", ".join(rows.labels[:10])
        raise DataError(f"'{str(label)[:40]}' is not one of this run's labels: choose one of {shown}.")
    return str(label)


def _written_labels(frame: pd.DataFrame, multi_label: bool) -> pd.DataFrame:
    """The frame with labels as the files hold them (JSON lists for multi-label rows)."""
    out = frame.copy()
    if multi_label:
        out[LABEL] = out[LABEL].map(lambda labels: json.dumps(list(labels), ensure_ascii=False))
    return out[[c for c in (TEXT, TEXT_PAIR, LABEL) if c in out.columns]]


def _store(frame: pd.DataFrame, name: str, uploads: Path, owner: str | None = None) -> Path:
    """Write ``frame`` as CSV into the upload area under a server-issued id (``owner``'s); returns the stored file."""
    with tempfile.TemporaryDirectory(prefix="tunescope-fix-") as folder:
        source = Path(folder) / name
        frame.to_csv(source, index=False)
        return uploads / store_upload(source, uploads, owner)


def corrected_data(rows: RunRows, drop: list[int], relabel: dict[Any, Any],
                   uploads: str | Path | None = None, owner: str | None = None) -> FixedData:
    """Write the corrected training rows and the run's validation rows (as training read them) as uploads."""
    dropped, changes = checked_changes(rows, drop, relabel)
    uploads = Path(uploads) if uploads is not None else uploads_folder(rows.run_dir)
    frame = rows.frame.copy()
    relabelled = []
    for row, label in sorted(changes.items()):
        relabelled.append({"row": row, "old": _shown(frame.at[row, LABEL]), "new": _shown(label)})
        frame.at[row, LABEL] = label
    frame = frame.drop(index=dropped)
    run_id = rows.run_dir.name
    train_file = _store(_written_labels(frame, rows.multi_label), f"{run_id}-fixed.csv", uploads, owner)
    val_file = _store(_written_labels(rows.val, rows.multi_label), f"{run_id}-validation.csv", uploads, owner)
    changes_made = {"parent_run": run_id, "rows_before": len(rows.frame), "rows_after": len(frame),
                    "dropped": [{"row": r, "label": _shown(rows.frame.at[r, LABEL])} for r in dropped],
                    "relabelled": relabelled, "train_file": train_file.name, "val_file": val_file.name}
    return FixedData(train_file, val_file, changes_made)


def _shown(label: Any) -> str:
    return SEPARATOR.join(label) if isinstance(label, tuple | list) else str(label)


def fix_data(run_dir: str | Path, drop: list[int], relabel: dict[Any, Any], uploads: str | Path | None = None) -> Path:
    """A corrected copy of the run's training rows (``drop`` removed, ``relabel`` {row: new label} applied),
    stored in the upload area (default: ``uploads/`` beside the run folder); returns the stored file,
    whose name is its upload id."""
    return corrected_data(run_rows(run_dir), drop, relabel, uploads).train_file


def top_changes(table: pd.DataFrame, drop_top: int = 0, relabel_top: int = 0) -> tuple[list[int], dict[int, str]]:
    """Changes from a suspect list (``find_suspects``, most suspect first): drop the rows of its first
    ``drop_top`` lines, give the rows of the next ``relabel_top`` lines their suggested label (multi-label:
    every suggested flip of a row applied together, as a label set ``a;b``)."""
    if drop_top < 0 or relabel_top < 0:
        raise DataError("--drop-top and --relabel-top are numbers of suspect rows, 0 or more.")
    drop = list(dict.fromkeys(int(r) for r in table["row"].head(drop_top)))
    relabel: dict[int, str] = {}
    flips: dict[int, set[str]] = {}
    for line in table.iloc[drop_top:drop_top + relabel_top].itertuples():
        if int(line.row) in drop:
            continue
        if "label" in table.columns:  # multi-label: toggle this (row, label)
            current = flips.setdefault(int(line.row), set(filter(None, str(line.given).split(SEPARATOR))))
            current.symmetric_difference_update({str(line.label)})
            relabel[int(line.row)] = SEPARATOR.join(sorted(current))
        else:
            relabel[int(line.row)] = str(line.suggested)
    return drop, relabel


def fixed_config(parent: RunConfig, fixed: FixedData, multi_label: bool) -> RunConfig:
    """The parent's configuration training on the corrected rows, scored on the same validation rows."""
    config = RunConfig.from_dict(parent.to_dict())
    columns = Columns(TEXT, LABEL, TEXT_PAIR if parent.data.text_pair_column else None, "yes" if multi_label else "no")
    config.data = replace(config.data, train_file=str(fixed.train_file), val_file=str(fixed.val_file),
                          **columns.to_dict())
    config.labels, config.data_hash, config.resolved = [], None, {}
    return config


def retrain(run_dir: str | Path, drop: list[int], relabel: dict[Any, Any], runs_root: str | Path | None = None,
            uploads: str | Path | None = None, start: bool = True, owner: str | None = None) -> str:
    """Start a new run with the run's settings on its corrected training rows; returns the new run's id.

    The new run folder gets ``data_changes.json`` (parent run, dropped rows, relabels with old and new
    label, the files used). ``start=False`` only creates the run (``python -m core train --run-dir`` trains it).
    ``owner``: the account asking, which owns the new run and its corrected files.
    """
    parent_dir = runs.require_run(run_dir)
    rows = run_rows(parent_dir)
    fixed = corrected_data(rows, drop, relabel, uploads, owner)
    root = Path(runs_root) if runs_root is not None else parent_dir.resolve().parent
    folder = job.create_run(fixed_config(rows.config, fixed, rows.multi_label), root=root, owner=owner)
    runs.write_json(folder / CHANGES, fixed.changes)
    runs.tag_run(folder, add=[TAG], remove=[])
    if start:
        runs.start_run(folder)
    return folder.name
