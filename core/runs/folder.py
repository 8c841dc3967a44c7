"""A run folder's files, its id, atomic JSON writes, and loading its config.

A run is a folder (docs/ARCHITECTURE.md): ``config.json``, ``data_report.json``, ``events.jsonl``,
``status.json``, ``launch.json``, ``checkpoints/``, ``model/``, ``metrics.json``, ``README.md`` and
``train.log``. Processes are ``core.runs.process``; states are ``core.runs.status``. Creating a run (the
checks, the data read once, the first files) is ``core.job.create_run``, which writes through :class:`RunPaths`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import files
from core.config import RunConfig
from core.data.uploads import shown_name
from core.errors import RunError
from core.modelref import DEFAULT, find_run


def runs_root(root: str | Path | None = None) -> Path:
    """The folder holding runs: ``root``, else $TUNESCOPE_RUNS, else ./runs."""
    return Path(root or os.environ.get("TUNESCOPE_RUNS") or "runs").expanduser()


@dataclass(frozen=True)
class RunPaths:
    """The files of one run folder."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def data_report(self) -> Path:
        return self.root / "data_report.json"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def status(self) -> Path:
        return self.root / "status.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def stop_flag(self) -> Path:
        return self.root / "STOP"

    @property
    def launch(self) -> Path:
        return self.root / "launch.json"

    @property
    def log(self) -> Path:
        return self.root / "train.log"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:24] or "run"


def new_run_id(config: RunConfig) -> str:
    """A sortable, readable id: time, data file stem (the user's name of an upload) and model name. Two runs
    created in the same second get distinct folders all the same (``core.job.create.fresh_folder``)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    model = "minilm" if config.model.kind == DEFAULT else Path(str(config.model).rstrip("/")).name
    return f"{stamp}-{_slug(Path(shown_name(config.data.train_file)).stem)}-{_slug(model)}"


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + rename) so readers never see half a file."""
    files.write_json(path, payload)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


RUN_ID = files.PLAIN_ID


def run_folder(run_id: str, root: str | Path | None = None) -> Path:
    """The folder of run ``run_id`` inside the runs folder; a :class:`RunError` for anything else.

    Run ids are folder names (no paths, no ``..``), so a client naming a run can only reach runs.
    """
    return find_run(runs_root(root), run_id)


def require_run(run_dir: str | Path) -> Path:
    """``run_dir`` if it is a run folder (config.json and status.json); a one-sentence :class:`RunError` if not."""
    run_dir = Path(run_dir)
    paths = RunPaths(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} does not exist: give the folder of a run (see `python -m core runs`).")
    if paths.config.exists() and not paths.status.exists():
        raise RunError(f"{run_dir} is a model or data folder, not a run folder (it has no status.json): "
                       "give the folder of a run (see `python -m core runs`).")
    if not paths.config.exists():
        raise RunError(f"{run_dir} is not a TuneScope run folder (no config.json): give the folder of a run "
                       "(see `python -m core runs`).")
    return run_dir


def load_config(run_dir: str | Path) -> RunConfig:
    paths = RunPaths(Path(run_dir))
    if not paths.config.exists():
        raise RunError(f"{run_dir} is not a TuneScope run folder (no config.json).")
    return RunConfig.load(paths.config)


