"""Train one run on several devices at once (data parallel), launched through torchrun from a training process.

A run whose ``gpus`` setting is above 1 trains as that many processes, one per device, started by torchrun
(``torch.distributed.run --standalone``: its own rendezvous on a free port of this machine); the Trainer
wraps the model in DistributedDataParallel (NCCL on GPUs, gloo on the CPU) and only rank 0 writes the run
folder (``core.job.run.is_main_process``). The app's queue starts torchrun itself, handing its agent the locks
of the N slots it chose (``core.runs.scheduler``). Any other caller — ``python -m core train --gpus N``, a
resume, a sweep's trial — reaches :func:`run_parallel` instead: this process takes the N devices' locks
(waiting, shown as 'queued'), runs torchrun in the foreground with its output on this process's, turns a
SIGTERM into the run's stop request, and lets the devices go once every process has ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from core import runs
from core.config import RunConfig
from core.devices import pick_device
from core.runs.command import child_environment, core_command
from core.runs.lock import (
    HELD_BY_LAUNCHER,
    SLOT,
    holder_record,
    launcher_env,
    release,
    wait_for_lock,
    write_holder,
)
from core.runs.slots import child_env, foreground_slots, lock_name
from core.runs.status import FINAL_STATES
from core.training.stopping import stop_requested


def launches_processes(config: RunConfig) -> bool:
    """Whether this process must launch the run's processes: a run on several devices, and this process is not
    one of them (torchrun sets ``WORLD_SIZE``) nor started by a launcher holding the devices."""
    return config.train.gpus > 1 and "WORLD_SIZE" not in os.environ and not os.environ.get(HELD_BY_LAUNCHER)


def run_parallel(run_dir: Path, config: RunConfig, resume: bool) -> dict[str, Any]:
    """Hold the locks of the run's N devices, train it through torchrun in the foreground, and return the summary
    of its final event (``state``, ``metrics``, steps...)."""
    count = config.train.gpus
    slots = _slots(config, count)
    started = time.time()
    fds: list[int] = []
    try:
        for slot in slots:  # in order, so two launchers never each hold half of what the other waits for
            fds.append(wait_for_lock(run_dir, lock_name(slot), slot, stop_requested))
        group = ",".join(slots)
        for fd in fds:
            write_holder(fd, holder_record(run_dir, os.getpid(), group))
        env = child_environment(count, {**child_env(slots), **launcher_env(slots), SLOT: group})
        arguments = ["train", "--run-dir", str(run_dir), *(["--resume"] if resume else [])]
        # the processes' progress and rank 0's summary go to stderr: this process's stdout is its own answer
        code = _wait(subprocess.Popen(core_command(arguments, count), env=env, stdout=sys.__stderr__), run_dir)
    except runs.RunError as exc:  # stopped while waiting for a device
        runs.write_status(run_dir, "stopped", message=str(exc))
        return {"run_dir": str(run_dir), "state": "stopped", "processes": count}
    finally:
        for fd in fds:
            release(fd)
    return _summary(run_dir, code, count, started)


def _slots(config: RunConfig, count: int) -> list[str]:
    """The devices of a run launched from here: the ones the app's queue chose (``$TUNESCOPE_DEVICE_SLOT``), else
    the first ``count`` of the run's kind."""
    chosen = [slot for slot in os.environ.get(SLOT, "").split(",") if slot]
    return chosen if len(chosen) == count else foreground_slots(pick_device(config.train.device), count)


def _wait(process: subprocess.Popen, run_dir: Path) -> int:
    """Wait for torchrun; a SIGTERM to this process becomes the run's stop request, which every process reads."""
    flag = runs.RunPaths(run_dir).stop_flag
    while True:
        try:
            return process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if stop_requested(run_dir) and not flag.exists():
                flag.write_text(runs.now(), encoding="utf-8")


def _summary(run_dir: Path, code: int, count: int, started: float) -> dict[str, Any]:
    """The final event rank 0 wrote, as a summary; a launch that ended without one is recorded as failed."""
    status = runs.read_status(run_dir)
    if status.get("state") not in FINAL_STATES:
        message = (f"The {count} training processes ended (exit code {code}) before the run did: see its train.log, "
                   "then resume it.")
        runs.append_event(run_dir, {"event": "failed", "message": message})
        runs.write_status(run_dir, "failed", message=message)
        raise runs.RunError(message)
    if status["state"] == "failed":  # rank 0 recorded why, as a single process would have raised it
        raise runs.RunError(status.get("message") or "The run failed: see its train.log.")
    final = next((event for event in reversed(runs.read_events(run_dir)) if event.get("event") == status["state"]),
                 {})
    fields = {"global_step" if k == "step" else k: v for k, v in final.items() if k not in ("event", "time")}
    return {"run_dir": str(run_dir), "state": status["state"], "message": status.get("message"), **fields,
            "processes": count, "wall_seconds": round(time.time() - started, 2)}
