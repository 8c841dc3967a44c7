"""A run folder's files, its id, atomic JSON writes, reading them back whatever they hold, and loading its config.

A run is a folder (docs/ARCHITECTURE.md): ``config.json``, ``data_report.json``, ``events.jsonl``,
``status.json``, ``launch.json``, ``queue.json``, ``checkpoints/``, ``model/``, ``metrics.json``, ``README.md`` and
``train.log``. Every JSON file of a run holds one object; :func:`read_object` reads at most
:data:`MAX_JSON_BYTES` of one and says in a few words why it cannot be used (missing, too large, not
UTF-8, not JSON, not an object) instead of raising, so a file a crashed or tampered process left never
breaks a reader; :func:`read_json` is the same with a default. Processes are ``core.runs.process``; states
are ``core.runs.status``. Creating a run (the checks, the data read once, the first files) is
``core.job.create_run``, which writes through :class:`RunPaths`.
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
from core.errors import ConfigError, RunError
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

    @property
    def queue(self) -> Path:
        return self.root / "queue.json"


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


MAX_JSON_BYTES = 16 * 1024 * 1024  # the largest of a run's JSON files (a config with many labels) is far smaller


def read_object(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object file: (its content, None), or (None, 'missing') / (None, why it cannot be used, naming the file)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, f"{path.name} cannot be read ({exc.strerror or type(exc).__name__})"
    if len(raw) > MAX_JSON_BYTES:
        return None, f"{path.name} is larger than {MAX_JSON_BYTES // 1024**2} MB"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{path.name} is not UTF-8 text"
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None, f"{path.name} is not valid JSON"
    if not isinstance(value, dict):
        return None, f"{path.name} does not hold a JSON object"
    return value, None


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON object in ``path``, or ``default`` when it is missing or cannot be used (see :func:`read_object`)."""
    value, _ = read_object(path)
    return default if value is None else value


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
    """The run's settings; a one-sentence :class:`RunError` when ``config.json`` is missing or damaged."""
    paths = RunPaths(Path(run_dir))
    raw, problem = read_object(paths.config)
    if problem == "missing":
        raise RunError(f"{run_dir} is not a TuneScope run folder (no config.json).")
    if raw is None:
        raise RunError(f"Run {paths.root.name} is damaged: {problem}. Delete the run, or restore its config.json.")
    try:
        return RunConfig.from_dict(raw)
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise RunError(f"Run {paths.root.name} is damaged: its config.json does not hold a run's settings. Delete "
                       "the run, or restore its config.json.") from exc


