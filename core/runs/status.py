"""A run's state: ``status.json`` (written by the training process only) read together with the
queue's ``queue.json``, the launcher's ``launch.json`` and the ``STOP`` file.

States: queued, running, stopping, stopped, finished, failed; a run whose process vanished reads as
'interrupted', and a stop request on an active run reads as 'stopping'. One writer per fact: the queue
(``core.runs.queue``) writes ``queue.json`` (the run waits for a device, with no process), the launcher
writes ``launch.json`` (which process it started, when), the child writes ``status.json``, whoever asks
for a stop writes ``STOP``; ``read_status`` combines them (the newest of the three files speaks), so a
late stop request can never overwrite a finished run's final state. The one exception is a run taken out
of the queue before any process existed: the queue itself then writes its 'stopped' status.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from core.errors import RunError
from core.runs.folder import RunPaths, now, read_json, read_object, write_json
from core.runs.jobs import job_lives

ACTIVE_STATES = ("queued", "running", "stopping")
FINAL_STATES = ("stopped", "finished", "failed", "interrupted")


def write_status(run_dir: str | Path, state: str, **extra: Any) -> dict[str, Any]:
    """Record the run's state with this process's id and the time (the training process's job)."""
    paths = RunPaths(Path(run_dir))
    status = read_json(paths.status, {}) or {}
    status.update(extra)
    status.update(state=state, updated_at=now(), updated=time.time())
    if state in ACTIVE_STATES:
        status["pid"] = os.getpid()
    write_json(paths.status, status)
    return status


def alive(pid: int | None) -> bool:
    """True while process ``pid`` runs (a zombie counts as ended)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _time(record: Any, key: str) -> float:
    value = record.get(key) if isinstance(record, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def queue_entry(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's ``queue.json`` while it waits in the queue (newer than its status and its last launch), else None."""
    paths = RunPaths(Path(run_dir))
    entry = read_json(paths.queue)
    if not isinstance(entry, dict) or not _time(entry, "queued"):
        return None
    spoken = max(_time(read_json(paths.launch), "launched"), _time(read_json(paths.status), "updated"))
    return entry if _time(entry, "queued") > spoken else None


def ready_to_start(run_dir: str | Path) -> tuple[Path, dict[str, Any], RunPaths]:
    """A run that may be started or queued (not active; an old stop request cleared): its folder, status, paths."""
    run_dir = Path(run_dir).resolve()
    status = read_status(run_dir)
    if status.get("state") in ACTIVE_STATES:
        raise RunError(f"Run {run_dir.name} is already {status['state']}: stop it first.")
    paths = RunPaths(run_dir)
    paths.stop_flag.unlink(missing_ok=True)
    return run_dir, status, paths


def read_status(run_dir: str | Path) -> dict[str, Any]:
    """The run's state as the app should show it (see the module docstring)."""
    paths = RunPaths(Path(run_dir))
    status, problem = read_object(paths.status)
    if status is None and problem == "missing":
        raise RunError(f"Run {Path(run_dir).name} has no status.json: it is not a TuneScope run folder.")
    if status is None:  # written by a crashed or tampered process: one sentence with the reason, never a codec error
        raise RunError(f"Run {Path(run_dir).name} has no status.json that can be read ({problem}): resume it to "
                       "write a new one, or delete the run.")
    entry = queue_entry(run_dir)
    if entry is not None:  # waiting for a device: state in the folder, no process yet
        device = str(entry.get("device") or "auto")
        count = entry.get("gpus") if isinstance(entry.get("gpus"), int) and entry["gpus"] > 1 else 1
        message = ("Waiting in the queue for a free device." if device == "auto"
                   else f"Waiting in the queue for a free {device}.") if count == 1 else (
            f"Waiting in the queue for {count} free devices." if device == "auto"
            else f"Waiting in the queue for {count} free {device} devices.")
        status.update(state="queued", waiting=True, pid=None, device=device, queued_at=entry.get("queued_at"),
                      message=message)
        return status
    launch = read_json(paths.launch) or {}
    if _time(launch, "launched") > _time(status, "updated"):  # started, but the child has not spoken yet
        if launch.get("runner") and job_lives(launch):
            status.update(state="queued", pid=None, job_id=launch.get("job_id"),
                          message="Submitted to the Ray cluster: waiting for it to start the run.")
        elif alive(launch.get("pid")):
            status.update(state="queued", pid=launch["pid"], message="Starting the training process…")
        else:
            status.update(state="failed", message="The training process exited before it started: see train.log.")
    elif status.get("state") in ACTIVE_STATES and not (job_lives(launch) if launch.get("runner")
                                                        else alive(status.get("pid"))):
        status["state"] = "interrupted"
        status["message"] = "The training process ended without saying so (killed or crashed): resume it."
    if status.get("state") in ("queued", "running") and paths.stop_flag.exists():
        status.update(state="stopping", message="Stopping: the run saves a usable model first.")
    return status
