"""Run one run folder in the training child, over its recipe, to the end (or a stop), and record how it ended.

``python -m core train --run-dir RUN`` (and the in-process CLI commands) call :func:`run_training`. It owns
``status.json`` from its first line on (rank 0 only: :func:`is_main_process`), takes the device lock
(``core.runs.lock``: the one the app's queue handed it, else it waits for it), runs the optional pre-training stage (``core.pretrain``), then the recipe the
configuration chooses (``core.job.recipes``: fine-tuning or SetFit), writes the final outputs
(``core.job.outputs``), the final event and status (``core.job.ending``) and then, outside the device lock
and with the model already usable, the similar-examples index. A failure becomes a ``failed`` state with
one sentence saying what to do (for a full disk: which checkpoint is intact to resume from). A resume
starts from the newest intact checkpoint and records which damaged ones it skipped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from core import runs
from core.config import RunConfig
from core.devices import pick_device, release_device_memory
from core.errors import RunError
from core.job.ending import record_end, record_failure, record_skipped, run_summary
from core.job.outputs import how_trained, save_outputs, write_index
from core.job.parallel import launches_processes, run_parallel
from core.job.recipes import recipe_for
from core.modelref import ModelRef
from core.runs.jobs import superseded
from core.runs.lock import SLOT, device_lock
from core.training.outcome import Trained
from core.training.stopping import stop_requested
from core.training.threads import choose_cpu_threads


def is_main_process() -> bool:
    """Whether this process writes the run folder: rank 0 under torchrun / accelerate, or the only process."""
    return int(os.environ.get("RANK", "0")) == 0


def run_training(run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train the run in ``run_dir`` to the end (or a stop) and return the final summary.

    With ``resume`` it continues from the newest intact checkpoint (weights, optimizer, scheduler,
    RNG and data position), skipping damaged newer ones; without a checkpoint it starts from scratch.
    """
    run_dir = Path(run_dir).resolve()
    if superseded(run_dir):  # a cluster job cancelled while it waited, the run started again since
        print(f"note: run {run_dir.name} was started again as another job: this one does nothing.", file=sys.stderr)
        return {"run_dir": str(run_dir), "state": "superseded"}
    config = runs.load_config(run_dir)
    if launches_processes(config):  # a run on several devices: torchrun starts one process per device
        return run_parallel(run_dir, config, resume)
    main = is_main_process()
    point = runs.check_resumable(run_dir, check_state=False) if resume else runs.ResumePoint(None)
    if main:  # from here on this process is the only writer of status.json
        runs.write_status(run_dir, "queued", message=point.note, error_kind=None, retry=None)
        record_skipped(run_dir, point)
        if os.environ.get(SLOT):  # the device the app's queue chose (e.g. cuda:1): recorded with the run
            config.resolved["device_slot"] = os.environ[SLOT]
            config.save(runs.RunPaths(run_dir).config)
    started = time.time()
    try:
        with device_lock(run_dir, config, main, stop_requested):
            if stop_requested(run_dir):
                raise RunError("Stopped before training started.")
            if main:
                runs.write_status(run_dir, "running", message=point.note)
            summary = run_summary(run_dir, config, train_run(config, run_dir, point.checkpoint, main), point, started)
            # before the device is let go: the trainer's model, optimizer state and cache leave the GPU, and the run
            # is final (the next run of the queue never starts beside one still saying 'running')
            release_device_memory()
            if main:
                record_end(run_dir, summary)
    except BaseException as exc:
        if main:
            record_failure(run_dir, config, exc)
        raise
    if main:  # after the final status: the run and its model are usable while the index is built (bench/README.md)
        write_index(run_dir, stopped=summary["state"] == "stopped")
    return summary


def train_run(config: RunConfig, run_dir: Path, checkpoint: Path | None, main: bool) -> Trained:
    """The optional pre-training stage, the recipe, and (rank 0) the final outputs; under the device lock."""
    recipe = recipe_for(config)
    if pick_device(config.train.device) == "cpu":
        choose_cpu_threads()  # this is the training child: its thread count is its own
    start = start_model(config, run_dir, main)
    trained = recipe.train(config, run_dir, start=start, checkpoint=checkpoint, main=main)
    if main:
        save_outputs(trained, config, run_dir, how_trained(config, recipe))
    return trained


def start_model(config: RunConfig, run_dir: Path, main: bool) -> ModelRef:
    """The model the recipe starts from: the run's base model, or the weights of the pre-training stage
    (``core.pretrain``) when it is on; a relaunch finishes an interrupted stage, and never redoes a finished one."""
    if config.train.pretrain == "off":
        return config.model
    from core.pretrain.stage import run_pretrain  # the stage's Trainer: torch and transformers

    adapted = run_pretrain(config, run_dir, main)
    if main:
        runs.write_status(run_dir, "running", message="Fine-tuning (stage 2 of 2).")
    return ModelRef.from_admin(str(adapted))
