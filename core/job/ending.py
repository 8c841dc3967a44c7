"""How a run ended, recorded by the job: the summary, and the final event and status.

A finished or stopped run gets a summary (:func:`run_summary`) and its final event and status
(:func:`record_end`); a run that failed, was stopped while queued or was interrupted gets one sentence
saying what to do, with an ``error_kind`` (and, after running out of memory, the smaller batch to retry
with) (:func:`record_failure`). A resume that skipped damaged checkpoints says which (:func:`record_skipped`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from core import runs
from core.config import RunConfig
from core.errors import RunError
from core.training.outcome import NonFiniteLossError, Trained
from core.training.saving import SaveFailed, save_error_kind, save_failure_message
from core.training.stopping import stop_requested

METRICS = ("accuracy", "f1_macro", "eval_loss", "per_class", "multi_label", "f1_micro", "subset_accuracy", "per_label")


def record_skipped(run_dir: Path, point: runs.ResumePoint) -> None:
    """The event (and a stderr line) naming the damaged checkpoints a resume skipped, and why."""
    if point.note:
        runs.append_event(run_dir, {"event": "checkpoint_skipped", "message": point.note,
                                    "skipped": point.to_list(),
                                    "resume_from": point.checkpoint.name if point.checkpoint else None})
        print(f"note: {point.note}", file=sys.stderr, flush=True)


def run_summary(run_dir: Path, config: RunConfig, trained: Trained, point: runs.ResumePoint,
                started: float) -> dict[str, Any]:
    """What ``run_training`` returns (and the final event carries) for a run that finished or was stopped."""
    stopped = stop_requested(run_dir)
    checkpoint = point.checkpoint
    return {
        "run_dir": str(run_dir),
        "state": "stopped" if stopped else "finished",
        "metrics": {k: trained.report[k] for k in METRICS if k in trained.report},
        "train_samples_per_second": trained.train_metrics.get("train_samples_per_second"),
        "train_runtime": trained.train_metrics.get("train_runtime"),
        "global_step": trained.global_step,
        "total_steps": trained.total_steps,
        "early_stopped": not stopped and trained.global_step < trained.total_steps,
        "best_checkpoint": trained.best_checkpoint,
        "best_metric": trained.best_metric,
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else 0,
        "resume_note": point.note,
        "skipped_checkpoints": point.to_list(),
        "device": config.resolved.get("device"),
        "precision": config.resolved.get("precision"),
        "wall_seconds": round(time.time() - started, 2),
    }


def record_end(run_dir: Path, summary: dict[str, Any]) -> None:
    """The final event and status of a run that finished or was stopped."""
    runs.RunPaths(run_dir).stop_flag.unlink(missing_ok=True)
    runs.append_event(run_dir, {"event": summary["state"], "step": summary["global_step"],
                                **{k: summary[k] for k in ("metrics", "total_steps", "early_stopped", "best_checkpoint",
                                                           "best_metric", "train_samples_per_second")}})
    runs.write_status(run_dir, summary["state"], message="Stopped early: no improvement." if summary["early_stopped"]
                      else None, global_step=summary["global_step"], total_steps=summary["total_steps"])


def record_failure(run_dir: Path, config: RunConfig, exc: BaseException) -> None:
    """The final event and status of a run that failed, was stopped while queued, or was interrupted."""
    stopped = isinstance(exc, RunError) and not isinstance(exc, SaveFailed) and stop_requested(run_dir)
    state = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped" if stopped else "failed"
    message = save_failure_message(exc, run_dir) or failure_message(exc, config)
    fields = {} if state == "stopped" else error_fields(exc, config)
    try:
        runs.append_event(run_dir, {"event": state, "message": message, **fields})
        runs.write_status(run_dir, state, message=message, **fields)
    except OSError:  # a full disk may refuse even these few bytes: the log still says why
        print(f"error: {message}", file=sys.stderr, flush=True)


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is the device running out of memory (CUDA's or MPS's own error, or its message)."""
    return "out of memory" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError"


def failure_message(exc: BaseException, config: RunConfig) -> str:
    """The one sentence a failed run ends with (a failed write is ``save_failure_message``'s)."""
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted from the keyboard: resume the run to continue from its last checkpoint."
    if is_oom(exc):
        retry = oom_retry(config)
        if retry is None:
            return "Out of memory at batch size 1: lower max_length, use LoRA or a smaller model."
        return (f"Out of memory at batch size {config.train.batch_size}: retry with batch size {retry['batch_size']} "
                f"and gradient accumulation {retry['gradient_accumulation_steps']} (same effective batch).")
    return str(exc) or type(exc).__name__


def oom_retry(config: RunConfig) -> dict[str, int] | None:
    """The halved-batch settings to retry with after an out-of-memory, or None at batch size 1."""
    try:
        return runs.smaller_batch(config.train.batch_size, config.train.gradient_accumulation_steps)
    except RunError:
        return None


def error_fields(exc: BaseException, config: RunConfig) -> dict[str, Any]:
    """``error_kind`` (and for out-of-memory the ``retry`` settings) for status.json and the final event."""
    if isinstance(exc, NonFiniteLossError):
        return {"error_kind": "non_finite_loss"}
    if save_error_kind(exc):
        return {"error_kind": save_error_kind(exc)}
    if not is_oom(exc):
        return {"error_kind": type(exc).__name__}
    return {"error_kind": "out_of_memory", "retry": oom_retry(config)}
