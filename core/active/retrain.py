"""Retrain with the new labels: a normal run from the run's settings, its training rows plus the labelled rows.

The parent's training rows as training saw them (``core.labels.suspects.run_rows``) and the session's labelled
pool rows are written as one CSV (``text``, [``text_pair``], ``label``; multi-label: JSON lists) into the upload
area under a server-issued id, and the parent's validation rows as another, so the new run is scored on the same
rows; the run is created with the parent's settings (``core.labels.fixes.fixed_config``, the path
``retrain_fixed`` takes). The new run records which rows were added in ``data_added.json`` (session, pool, each
added row with its label) and the summary in ``data_changes.json``, as a corrected-data retrain does. Leaves out
starting it through the app's queue (``ui.api``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from core import job, runs
from core.active.pool import ROW
from core.active.session import labels_frame, load_session
from core.data import LABEL, TEXT, TEXT_PAIR
from core.data.uploads import store_upload
from core.errors import DataError
from core.labels.fixes import CHANGES, FixedData, fixed_config, uploads_folder
from core.labels.suspects import run_rows

ADDED = "data_added.json"
TAG = "active-labels"  # the Runs tab's tag on a run retrained with new labels


def _written(frame: pd.DataFrame, multi_label: bool) -> pd.DataFrame:
    out = frame.copy()
    if multi_label:
        out[LABEL] = out[LABEL].map(lambda labels: json.dumps(list(labels), ensure_ascii=False))
    return out[[c for c in (TEXT, TEXT_PAIR, LABEL) if c in out.columns]]


def _store(frame: pd.DataFrame, name: str, uploads: Path, owner: str | None) -> Path:
    with tempfile.TemporaryDirectory(prefix="tunescope-active-") as folder:
        source = Path(folder) / name
        frame.to_csv(source, index=False)
        return uploads / store_upload(source, uploads, owner)


def retrain_with_labels(run_dir: str | Path, session_id: str, runs_root: str | Path | None = None,
                        uploads: str | Path | None = None, start: bool = True, owner: str | None = None) -> str:
    """Create (and with ``start``, launch) a run with the parent's settings on its training rows plus the session's
    labelled rows; returns the new run's id."""
    parent = runs.require_run(run_dir)
    record = load_session(parent, session_id)
    added = labels_frame(record)
    if len(added) == 0:
        raise DataError("No row of this session has a label yet: label some rows before retraining.")
    rows = run_rows(parent)
    new = added.drop(columns=[ROW]).copy()
    if rows.multi_label:
        new[LABEL] = new[LABEL].map(lambda cell: tuple(json.loads(cell)))
    if TEXT_PAIR in rows.frame.columns and TEXT_PAIR not in new.columns:
        raise DataError("The run compares two texts, but the session's rows have no second text.")
    combined = pd.concat([rows.frame, new[[c for c in rows.frame.columns if c in new.columns]]], ignore_index=True)
    uploads = Path(uploads) if uploads is not None else uploads_folder(parent)
    train_file = _store(_written(combined, rows.multi_label), f"{parent.name}-labelled.csv", uploads, owner)
    val_file = _store(_written(rows.val, rows.multi_label), f"{parent.name}-validation.csv", uploads, owner)
    changes = {"parent_run": parent.name, "rows_before": len(rows.frame), "rows_after": len(combined),
               "dropped": [], "relabelled": [], "added": len(added), "added_file": ADDED,
               "train_file": train_file.name, "val_file": val_file.name}
    fixed = FixedData(train_file, val_file, changes)
    root = Path(runs_root) if runs_root is not None else parent.resolve().parent
    folder = job.create_run(fixed_config(rows.config, fixed, rows.multi_label), root=root, owner=owner)
    runs.write_json(folder / CHANGES, changes)
    runs.write_json(folder / ADDED, {"parent_run": parent.name, "session": session_id, "pool": record["pool"],
                                     "rows": json.loads(added.to_json(orient="records", force_ascii=False))})
    runs.tag_run(folder, add=[TAG], remove=[])
    if start:
        runs.start_run(folder)
    return folder.name
