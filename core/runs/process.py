"""Start, resume, retry and stop a run's training process, and wait for it.

A launcher starts ``python -m core train --run-dir RUN`` as a detached child (:func:`start_run`: the child waits
for its device itself) and records what it launched in ``launch.json``; from its first line the child owns
``status.json``. The app instead puts runs in its queue (``queued=True``: ``core.runs.queue``), and its scheduler
starts the child once the device is free. A stop request takes a waiting run out of the queue, and otherwise only
writes the ``STOP`` file, which the child turns into a clean stop. Children are reaped by a background thread so
none stays ``<defunct>``.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.errors import RunError
from core.runs.checkpoints import ResumePoint, last_checkpoint, resume_point, smaller_batch
from core.runs.cluster import submit
from core.runs.command import QUIET_CHILD, child_environment, core_command  # noqa: F401 (QUIET_CHILD: re-exported)
from core.runs.folder import RunPaths, load_config, now, read_json, require_run, write_json
from core.runs.jobs import cancel, on_cluster
from core.runs.queue import cancel_queued, queue_run
from core.runs.status import ACTIVE_STATES, FINAL_STATES, read_status, ready_to_start, write_status


def start_run(run_dir: str | Path, resume: bool = False, extra_env: dict[str, str] | None = None) -> int:
    """Spawn ``python -m core train --run-dir RUN`` as a detached child; returns its pid (0: handed to the cluster
    runner, ``core.runs.cluster``).

    Writes only ``launch.json``: the child writes ``status.json`` itself from its first line on.
    """
    run_dir, status, paths = ready_to_start(run_dir)
    if on_cluster():  # the admin's runner: Ray starts the same command where the run's devices are free
        submit(run_dir, resume, extra_env)
        return 0
    arguments = ["train", "--run-dir", str(run_dir), *(["--resume"] if resume else [])]
    return spawn_child(arguments, paths.log, paths.launch, {"TUNESCOPE_CHILD": "1", **(extra_env or {})})


def spawn_child(arguments: list[str], log_path: Path, launch_path: Path, extra_env: dict[str, str] | None = None,
                pass_fds: tuple[int, ...] = (), record: dict[str, Any] | None = None, processes: int = 1) -> int:
    """Start ``python -m core ARGUMENTS`` detached (its own session, output appended to ``log_path``, libraries
    quieted unless the environment says otherwise: :data:`QUIET_CHILD`), record it
    in ``launch_path`` (with ``record``'s fields) and reap it in a background thread (no ``<defunct>`` children);
    ``pass_fds``: open files the child inherits (the device locks the queue hands over); ``processes`` > 1: through
    torchrun (:func:`core_command`), whose agent is the child; returns its pid."""
    command = core_command(arguments, processes)
    env = child_environment(processes, extra_env)
    launched = time.time()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            pass_fds=pass_fds
        )
    write_json(launch_path, {"pid": process.pid, "command": " ".join(command), "launched": launched,
                             "launched_at": now(), "launcher_pid": os.getpid(), "processes": processes,
                             **(record or {})})
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    return process.pid


def check_resumable(run_dir: str | Path, check_state: bool = True) -> ResumePoint:
    """Where a resume of ``run_dir`` starts; a one-sentence :class:`RunError` when it cannot resume.

    Refused: a folder that is not a run, a run still active (``check_state``; the training child
    itself skips it), a run whose checkpoints are all damaged, and a run that saved its model and has
    no checkpoint left.
    """
    run_dir = require_run(run_dir)
    status = read_status(run_dir) if check_state else {}
    if status.get("state") in ACTIVE_STATES:
        raise RunError(f"Run {run_dir.name} is still {status['state']}: stop it first, or wait for it to end.")
    point = resume_point(run_dir)
    if point.checkpoint is None and (RunPaths(run_dir).model / "config.json").exists():
        ended = "finished" if status.get("state") == "finished" else "saved its model"
        raise RunError(f"Run {run_dir.name} {ended} and has no checkpoint to resume from: start a new run to "
                       "train again.")
    return point


def resume_run(run_dir: str | Path, extra_env: dict[str, str] | None = None, queued: bool = False,
               owner: str | None = None) -> int | None:
    """Continue a stopped, failed or interrupted run from its newest intact checkpoint in a new child; returns its
    pid (None with ``queued``: the run waits in its folder's queue for its device).

    Optimizer, scheduler, RNG and data position come from the checkpoint, so a run killed hard
    loses at most the steps since its last checkpoint. What cannot resume is refused before a child starts.
    """
    check_resumable(run_dir)
    return launch(run_dir, True, extra_env, queued, owner)


def launch(run_dir: str | Path, resume: bool, extra_env: dict[str, str] | None, queued: bool,
           owner: str | None) -> int | None:
    """Start the child now (its pid), or put the run in its folder's queue (``queued``: None)."""
    if queued:
        queue_run(run_dir, resume=resume, extra_env=extra_env, owner=owner)
        return None
    return start_run(run_dir, resume=resume, extra_env=extra_env)


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


def retry_smaller_batch(run_dir: str | Path, extra_env: dict[str, str] | None = None, queued: bool = False,
                        owner: str | None = None) -> Path:
    """One-click retry after out-of-memory: halve the batch, double accumulation, restart the run (``queued``:
    through its folder's queue).

    The effective batch (and so the number of optimizer steps) is unchanged, so the run continues
    from its last checkpoint when it has one; otherwise it starts again. Returns the run folder.
    """
    run_dir = Path(run_dir).resolve()
    apply_smaller_batch(run_dir)
    launch(run_dir, last_checkpoint(run_dir) is not None, extra_env, queued, owner)
    return run_dir


def request_stop(run_dir: str | Path) -> dict[str, Any]:
    """Ask an active run to stop by writing its ``STOP`` file; the child saves a model and marks itself stopped.
    A run waiting in the queue leaves it at once ('stopped', no process involved).

    A run that already ended is left as it is (its final state is never overwritten).
    """
    run_dir = Path(run_dir)
    if cancel_queued(run_dir):
        return read_status(run_dir)
    status = read_status(run_dir)
    if status.get("state") not in ACTIVE_STATES:
        return status
    RunPaths(run_dir).stop_flag.write_text(now(), encoding="utf-8")  # the child reads it and stops itself
    # handed to the cluster, which has not started it: cancelled there
    if status.get("job_id") and cancel(read_json(RunPaths(run_dir).launch) or {}):
        write_status(run_dir, "stopped", message="Stopped before the cluster started it.")
    return read_status(run_dir)


def wait_for(run_dir: str | Path, timeout: float = 3600, poll: float = 0.5) -> dict[str, Any]:
    """Block until the run reaches a final state (for scripts and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(run_dir)
        if status.get("state") in FINAL_STATES:
            return status
        time.sleep(poll)
    raise RunError(f"Run {Path(run_dir).name} did not finish within {timeout:.0f} s.")
