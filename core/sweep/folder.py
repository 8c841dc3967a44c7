"""A sweep's folder (``<runs folder>/sweeps/<sweep id>/``), its id, and the sweep's state read from its files.

| file | written by | what it holds |
|---|---|---|
| ``sweep.json`` | ``create_sweep``, once | study name, storage (password hidden), space, budget, metric, the base settings and its owner (the account that started it) |
| ``study.db`` | Optuna | the default storage: every trial's parameters, state, values and run id |
| ``launch.json`` | ``start_sweep`` | pid and time of the background driver it started |
| ``workers/<host>-<pid>.json`` | each driver, its own file | running / finished / stopped / failed, trials done, message |
| ``STOP`` | ``stop_sweep`` | a stop request (the driver stops its current trial's run and ends) |
| ``sweep.log`` | the background driver's output | progress lines |

Several drivers (workers) may share one folder and one study: each writes only its own worker file, so
the sweep's state combines them (any worker running: running). Trials themselves are run folders in the
runs folder (``core.sweep.trial``). Leaves out: Optuna (``core.sweep.study``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.data.uploads import shown_name
from core.errors import ConfigError, RunError
from core.files import child_by_id, is_id
from core.runs.folder import now, read_json, runs_root, write_json
from core.runs.status import alive

STORAGE_ENV = "TUNESCOPE_SWEEP_STORAGE"  # the real storage URL for a background driver (never written to disk)
SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,33}$")  # 'sweep:<id>' stays a valid 40-character tag


@dataclass(frozen=True)
class SweepPaths:
    """The files of one sweep folder."""

    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "sweep.json"

    @property
    def database(self) -> Path:
        return self.root / "study.db"

    @property
    def launch(self) -> Path:
        return self.root / "launch.json"

    @property
    def workers(self) -> Path:
        return self.root / "workers"

    @property
    def stop_flag(self) -> Path:
        return self.root / "STOP"

    @property
    def log(self) -> Path:
        return self.root / "sweep.log"


def sweeps_root(root: str | Path | None = None) -> Path:
    return runs_root(root) / "sweeps"


def sweep_id_for(study: str | None, data_file: str) -> str:
    """A sweep id: the study name when it is a short id, else its slug and a hash; else time, data name and a
    random part (two sweeps started in the same second never share a folder)."""
    if study:
        if is_id(study, SWEEP_ID):
            return study
        slug = re.sub(r"[^A-Za-z0-9]+", "-", study).strip("-")[:24] or "study"
        return f"{slug}-{hashlib.sha1(study.encode()).hexdigest()[:8]}"

    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(shown_name(data_file)).stem).strip("-").lower()[:7].strip("-") or "data"
    return f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}-{stem}-sweep"


def sweep_folder(sweep_id: str, root: str | Path | None = None) -> Path:
    """The folder of sweep ``sweep_id``; a :class:`RunError` for anything that is not a sweep id here."""
    return child_by_id(sweeps_root(root), sweep_id, pattern=SWEEP_ID, error=RunError,
                       not_an_id="'{id}' is not a sweep id: choose a sweep from the list.",
                       missing="There is no sweep '{id}' in the runs folder: choose a sweep from the list.",
                       exists=lambda folder: SweepPaths(folder).spec.exists())


def sweep_owner(folder: Path) -> str | None:
    """The account that started the sweep (None: started without accounts, or from the CLI)."""
    owner = (read_json(SweepPaths(folder).spec) or {}).get("owner")
    return owner if isinstance(owner, str) else None


def read_spec(folder: Path) -> dict[str, Any]:
    spec = read_json(SweepPaths(folder).spec)
    if not isinstance(spec, dict):
        raise RunError(f"{folder} is not a sweep folder (no readable sweep.json).")
    return spec


def storage_url(folder: Path, spec: dict[str, Any], storage: str | None = None) -> str:
    """The study's database URL: given, else the sweep folder's SQLite file, else the background driver's."""
    if storage:
        return storage
    if spec.get("default_storage"):
        return f"sqlite:///{SweepPaths(folder).database.resolve()}"
    if os.environ.get(STORAGE_ENV):
        return os.environ[STORAGE_ENV]
    if "***" in spec["storage"]:
        raise ConfigError(f"Sweep {spec['sweep_id']} uses a storage with a password: give it again with --storage.")
    return spec["storage"]


def worker_name() -> str:
    return f"{re.sub(r'[^A-Za-z0-9.-]+', '-', socket.gethostname())[:40]}-{os.getpid()}"


def write_worker(folder: Path, state: str, **extra: Any) -> None:
    """This driver's own state file (one writer: this process)."""
    paths = SweepPaths(folder)
    paths.workers.mkdir(exist_ok=True)
    path = paths.workers / f"{worker_name()}.json"
    record = {**(read_json(path, {}) or {}), **extra, "state": state, "pid": os.getpid(),
              "host": socket.gethostname(), "updated": time.time(), "updated_at": now()}
    write_json(path, record)


def _worker_states(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(SweepPaths(folder).workers.glob("*.json")):
        record = read_json(path)
        if not isinstance(record, dict):
            continue
        here = record.get("host") == socket.gethostname()
        if record.get("state") == "running" and here and not alive(record.get("pid")):
            record = {**record, "state": "interrupted",
                      "message": "The sweep's process ended without saying so: continue it with `python -m core "
                                 f"sweep --sweep-dir RUNS/sweeps/{folder.name} --trials N`."}
        found.append(record)
    return found


def sweep_state(folder: Path) -> dict[str, Any]:
    """``{"state", "message", "workers"}``: running while any worker runs (stopping once asked), else the last ending."""
    paths = SweepPaths(folder)
    workers = _worker_states(folder)
    launch = read_json(paths.launch) or {}
    latest = max((w.get("updated", 0) for w in workers), default=0)
    if launch.get("launched", 0) > latest and not any(w["state"] == "running" for w in workers):
        if alive(launch.get("pid")):
            state, message = "queued", "Starting the sweep…"
        else:
            state, message = "failed", "The sweep's process exited before it started: see sweep.log."
    elif any(w["state"] == "running" for w in workers):
        state, message = "running", None
    elif workers:
        last = max(workers, key=lambda w: w.get("updated", 0))
        state, message = last["state"], last.get("message")
    else:
        state, message = "created", None
    if state in ("queued", "running") and paths.stop_flag.exists():
        state, message = "stopping", "Stopping: the running trial saves its model first."
    return {"state": state, "message": message, "workers": len(workers),
            "running_workers": sum(w["state"] == "running" for w in workers)}


ACTIVE = ("queued", "running", "stopping")


def create_sweep(spec: dict[str, Any], root: str | Path | None = None) -> Path:
    """Write ``sweep.json`` for a new sweep, or join the sweep of that id when it holds the same search.

    A second worker on this machine may join a running sweep; a different space, metric or data under
    the same id is refused in one sentence.
    """
    folder = sweeps_root(root) / spec["sweep_id"]
    paths = SweepPaths(folder)
    if paths.spec.exists():
        old = read_spec(folder)
        if old.get("owner") != spec.get("owner"):
            raise RunError(f"Sweep {spec['sweep_id']} already exists: choose another study name.")
        for key in ("space", "metric", "data_hash"):
            if old.get(key) != spec.get(key):
                raise RunError(f"Sweep {spec['sweep_id']} already exists with another {key.replace('_', ' ')} "
                               f"({old.get(key)}): use the same one to join it, or choose another --study name.")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    write_json(paths.spec, {**spec, "created_at": now(), "created": time.time()})
    return folder


def list_sweeps(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every sweep under the runs folder, newest first: id, study, state, metric, space, budget, creation time."""
    base = sweeps_root(root)
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        spec = read_json(SweepPaths(folder).spec) if SWEEP_ID.match(folder.name) else None
        if not isinstance(spec, dict):
            continue
        found.append({"sweep_id": folder.name, "study": spec.get("study"), "metric": spec.get("metric"),
                      "owner": spec.get("owner") if isinstance(spec.get("owner"), str) else None,
                      "space": spec.get("space"), "trials": spec.get("trials"), "timeout": spec.get("timeout"),
                      "created_at": spec.get("created_at"), "created": spec.get("created", 0),
                      **{k: v for k, v in sweep_state(folder).items() if k in ("state", "message")}})
    return sorted(found, key=lambda s: -float(s["created"] or 0))
