"""Create a run: check its settings, read its data once, and write its folder in state 'created'.

The one way a run folder comes to exist (the UI's *Start training*, ``python -m core train``, a sweep's
trials, a retrain on corrected data). Everything that would make the run fail early
(``core.job.preflight``) is refused here, before the folder exists and before any training process is
started. The folder's files and their names are ``core.runs``' (``RunPaths``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from pathlib import Path

from core import runs
from core.config import RunConfig
from core.data import Columns, file_hash, load_labelled
from core.data.health import data_texts
from core.errors import RunError
from core.job.preflight import check_model_and_data, check_settings
from core.runs.folder import now


def create_run(config: RunConfig, root: str | Path | None = None, run_dir: str | Path | None = None,
               owner: str | None = None) -> Path:
    """Validate ``config``, check the data and the model, and write a new run folder in state 'created'.

    The folder is ``run_dir``, else a new id inside the runs folder ``root`` (``core.runs.runs_root``), unique
    even when several runs start in the same second (:func:`fresh_folder`). ``owner``, the account creating
    the run, is recorded in ``meta.json`` before any other file (``core.runs.write_owner``).
    """
    config.validate()
    _refuse_existing(run_dir)
    check_settings(config)
    data = load_labelled(config.data.train_file, Columns.of(config.data))
    # the columns found and what 'auto' found are fixed for the run, so the child, a resume and the validation
    # file read the same way
    config.data = replace(config.data, **data.chosen.to_dict())
    config.data.train_file = str(Path(config.data.train_file).resolve())
    if config.data.val_file:
        config.data.val_file = str(Path(config.data.val_file).resolve())
    if config.train.pretrain_file:
        config.train.pretrain_file = str(Path(config.train.pretrain_file).resolve())
    config.labels = data.labels
    check_model_and_data(config, data.labels, data_texts(data.frame))
    config.data_hash = file_hash(config.data.train_file)
    if run_dir is not None:
        run_dir = Path(run_dir)
        _refuse_existing(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
    else:
        run_dir = fresh_folder(runs.runs_root(root), runs.new_run_id(config))
    runs.write_owner(run_dir, owner)
    paths = runs.RunPaths(run_dir)
    config.save(paths.config)
    runs.write_json(paths.data_report, data.report.to_dict())
    runs.write_json(paths.status, {"state": "created", "updated_at": now(), "updated": time.time()})
    return run_dir


def fresh_folder(root: Path, run_id: str, tries: int = 100) -> Path:
    """A new empty folder ``root/run_id`` made by this call alone (``mkdir`` without ``exist_ok``); when the id is
    taken (two starts in the same second), the id with a short random suffix."""
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(tries):
        folder = root / (run_id if attempt == 0 else f"{run_id}-{secrets.token_hex(3)}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RunError("No free run id was found for this run: start it again.")


def _refuse_existing(run_dir: str | Path | None) -> None:
    if run_dir is not None and runs.RunPaths(Path(run_dir)).config.exists():
        raise RunError(f"{run_dir} already holds a run: choose another output folder or resume that run.")
