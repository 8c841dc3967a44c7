"""Run folders: create, start as a child process, tail events, stop, resume, list, re-attach.

A run is a folder (see DESIGN.md): ``config.json``, ``data_report.json``, ``events.jsonl``,
``status.json``, ``checkpoints/``, ``model/``, ``metrics.json``, ``README.md`` and ``train.log``.
This module only manages files and processes; the training itself is in ``core.training``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.errors import RunError

ACTIVE_STATES = ("queued", "running", "stopping")
FINAL_STATES = ("stopped", "finished", "failed", "interrupted")


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
    def log(self) -> Path:
        return self.root / "train.log"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:24] or "run"


def new_run_id(config: RunConfig) -> str:
    """A sortable, readable id: time, data file stem and model name."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    model = "minilm" if config.model == "default" else Path(str(config.model).rstrip("/")).name
    return f"{stamp}-{_slug(Path(config.data.train_file).stem)}-{_slug(model)}"


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically (temp file + rename) so readers never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def create_run(config: RunConfig, root: str | Path | None = None, run_dir: str | Path | None = None) -> Path:
    """Validate ``config``, check the data, and write a new run folder in state 'queued'."""
    from core.data import file_hash, load_labelled

    config.validate()
    data = load_labelled(
        config.data.train_file, config.data.text_column, config.data.label_column, config.data.text_pair_column
    )
    config.data.text_column = data.report.text_column
    config.data.label_column = data.report.label_column
    config.data.train_file = str(Path(config.data.train_file).resolve())
    if config.data.val_file:
        config.data.val_file = str(Path(config.data.val_file).resolve())
    config.labels = data.labels
    config.data_hash = file_hash(config.data.train_file)
    if run_dir is None:
        run_dir = runs_root(root) / new_run_id(config)
    run_dir = Path(run_dir)
    if RunPaths(run_dir).config.exists():
        raise RunError(f"{run_dir} already holds a run: choose another output folder or resume that run.")
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = RunPaths(run_dir)
    config.save(paths.config)
    write_json(paths.data_report, data.report.to_dict())
    write_status(run_dir, "queued")
    return run_dir


def load_config(run_dir: str | Path) -> RunConfig:
    paths = RunPaths(Path(run_dir))
    if not paths.config.exists():
        raise RunError(f"{run_dir} is not a TuneScope run folder (no config.json).")
    return RunConfig.load(paths.config)


def write_status(run_dir: str | Path, state: str, **extra: Any) -> dict[str, Any]:
    """Record the run's state, with this process id and a timestamp."""
    paths = RunPaths(Path(run_dir))
    status = read_json(paths.status, {}) or {}
    status.update(extra)
    status.update(state=state, updated_at=_now())
    if state in ACTIVE_STATES:
        status["pid"] = os.getpid()
    write_json(paths.status, status)
    return status


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is dead for our purposes
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def read_status(run_dir: str | Path) -> dict[str, Any]:
    """The run's status; an active state whose process is gone reads as 'interrupted'."""
    paths = RunPaths(Path(run_dir))
    status = read_json(paths.status)
    if status is None:
        raise RunError(f"{run_dir} has no status.json: it is not a TuneScope run folder.")
    if status.get("state") in ACTIVE_STATES and not _alive(status.get("pid")):
        status["state"] = "interrupted"
        status["message"] = "The training process ended without saying so (killed or crashed): resume it."
    return status


def append_event(run_dir: str | Path, event: dict[str, Any]) -> None:
    """Append one event line (with a timestamp) to ``events.jsonl``."""
    event = {"time": time.time(), **event}
    with open(RunPaths(Path(run_dir)).events, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, default=float) + "\n")
        handle.flush()


class EventTail:
    """Reads only the events appended since the last call (by byte offset)."""

    def __init__(self, run_dir: str | Path, offset: int = 0) -> None:
        self.path = RunPaths(Path(run_dir)).events
        self.offset = offset

    def read_new(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events = []
        for line in chunk[: end + 1].splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return events


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    return EventTail(run_dir).read_new()


def start_run(run_dir: str | Path, resume: bool = False, extra_env: dict[str, str] | None = None) -> int:
    """Spawn ``python -m core train --run-dir RUN`` as a detached child; returns its pid."""
    run_dir = Path(run_dir).resolve()
    status = read_status(run_dir)
    if status.get("state") in ACTIVE_STATES and status.get("pid") and status.get("pid") != os.getpid():
        raise RunError(f"Run {run_dir.name} is already {status['state']}: stop it first.")
    paths = RunPaths(run_dir)
    paths.stop_flag.unlink(missing_ok=True)
    command = [sys.executable, "-m", "core", "train", "--run-dir", str(run_dir)]
    if resume:
        command.append("--resume")
    env = {**os.environ, "TUNESCOPE_CHILD": "1", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    project_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, env.get("PYTHONPATH")]))
    with open(paths.log, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    write_status(run_dir, "queued", pid=process.pid, command=" ".join(command))
    # write_status stamps our pid for active states; the child's pid is what matters
    status = read_json(paths.status, {})
    status["pid"] = process.pid
    write_json(paths.status, status)
    return process.pid


def resume_run(run_dir: str | Path, extra_env: dict[str, str] | None = None) -> int:
    """Continue a stopped, failed or interrupted run from its last checkpoint in a new child; returns its pid.

    Optimizer, scheduler, RNG and data position come from the checkpoint, so a run killed hard
    loses at most the steps since its last checkpoint.
    """
    return start_run(run_dir, resume=True, extra_env=extra_env)


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint (one a hard kill did not leave half-written)."""
    folder = RunPaths(Path(run_dir)).checkpoints
    if not folder.is_dir():
        return None
    complete = [
        p for p in folder.glob("checkpoint-*")
        if (p / "trainer_state.json").exists() and any(p.glob("*.safetensors")) and p.name.split("-")[-1].isdigit()
    ]
    return max(complete, key=lambda p: int(p.name.split("-")[-1]), default=None)


def smaller_batch(batch_size: int, gradient_accumulation_steps: int) -> dict[str, int]:
    """Half the batch and twice the accumulation: the same effective batch in less memory."""
    if batch_size <= 1:
        raise RunError("The batch size is already 1: lower max_length, use LoRA or a smaller model instead.")
    return {"batch_size": batch_size // 2,
            "gradient_accumulation_steps": gradient_accumulation_steps * 2}


def apply_smaller_batch(run_dir: str | Path) -> RunConfig:
    """Rewrite the run's ``config.json`` with :func:`smaller_batch` (after an out-of-memory)."""
    config = load_config(run_dir)
    status = read_status(run_dir)
    if status.get("state") in ACTIVE_STATES:
        raise RunError(f"Run {Path(run_dir).name} is still {status['state']}: stop it before retrying.")
    change = smaller_batch(config.train.batch_size, config.train.gradient_accumulation_steps)
    config.train.batch_size = change["batch_size"]
    config.train.gradient_accumulation_steps = change["gradient_accumulation_steps"]
    config.resolved["retried_after_oom"] = int(config.resolved.get("retried_after_oom", 0)) + 1
    config.save(RunPaths(Path(run_dir)).config)
    return config


def retry_smaller_batch(run_dir: str | Path, extra_env: dict[str, str] | None = None) -> Path:
    """One-click retry after out-of-memory: halve the batch, double accumulation, restart the run.

    The effective batch (and so the number of optimizer steps) is unchanged, so the run continues
    from its last checkpoint when it has one; otherwise it starts again. Returns the run folder.
    """
    run_dir = Path(run_dir).resolve()
    apply_smaller_batch(run_dir)
    start_run(run_dir, resume=last_checkpoint(run_dir) is not None, extra_env=extra_env)
    return run_dir


def request_stop(run_dir: str | Path) -> dict[str, Any]:
    """Ask a running run to stop: it saves a usable model, then marks itself 'stopped'."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if status.get("state") not in ACTIVE_STATES:
        return status
    RunPaths(run_dir).stop_flag.write_text(_now(), encoding="utf-8")
    return write_status(run_dir, "stopping", pid=status.get("pid"))


def list_runs(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every run under ``root``, newest first, with state and final metrics when present."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    runs = []
    for folder in sorted(base.iterdir(), reverse=True):
        paths = RunPaths(folder)
        if not paths.config.exists() or not paths.status.exists():
            continue
        status = read_status(folder)
        config = read_json(paths.config, {}) or {}
        metrics = read_json(paths.metrics, {}) or {}
        runs.append(
            {
                "run_id": folder.name,
                "run_dir": str(folder),
                "state": status.get("state"),
                "model": config.get("model"),
                "data": Path(config.get("data", {}).get("train_file", "")).name,
                "labels": config.get("labels", []),
                "accuracy": metrics.get("accuracy"),
                "f1_macro": metrics.get("f1_macro"),
                "has_model": (paths.model / "config.json").exists(),
                "updated_at": status.get("updated_at"),
            }
        )
    return runs


def latest_active_run(root: str | Path | None = None) -> Path | None:
    """The newest run that is queued, running or stopping (for re-attaching after a reload)."""
    for run in list_runs(root):
        if run["state"] in ACTIVE_STATES:
            return Path(run["run_dir"])
    return None


def wait_for(run_dir: str | Path, timeout: float = 3600, poll: float = 0.5) -> dict[str, Any]:
    """Block until the run reaches a final state (for scripts and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(run_dir)
        if status.get("state") in FINAL_STATES:
            return status
        time.sleep(poll)
    raise RunError(f"Run {Path(run_dir).name} did not finish within {timeout:.0f} s.")
