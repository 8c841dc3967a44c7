"""Train one run folder to the end (or a stop) and record how it ended.

Loads the data and tokenizer, builds the Trainer (``core.training.trainer``), trains under the
device lock (``core.runs.lock``), saves ``model/``, ``metrics.json`` and the model card, and writes
the final event and status. The training process owns ``status.json`` from its first line on; a
failure becomes a ``failed`` state with one sentence saying what to do.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.config import RunConfig
from core.errors import RunError
from core.models import load_tokenizer, pick_device, resolve_source
from core.training.arguments import build_arguments
from core.training.datasets import load_frames, tokenize_frames
from core.training.metrics import full_report
from core.training.stopping import stop_requested
from core.training.threads import choose_cpu_threads
from core.training.trainer import build_trainer, by_length


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _save_outputs(trainer: Any, config: RunConfig, run_dir: Path, tokenizer: Any, val: Any) -> dict[str, Any]:
    from core.runs.card import write_model_card

    paths = runs.RunPaths(run_dir)
    model = trainer.model
    if config.train.lora and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    output = trainer.predict(val)
    logits = output.predictions[0] if isinstance(output.predictions, tuple) else output.predictions
    report = full_report(np.asarray(output.label_ids), np.asarray(logits).argmax(-1), config.labels)
    report["eval_loss"] = float(output.metrics.get("test_loss", float("nan")))
    if _is_main_process():
        model.save_pretrained(paths.model, safe_serialization=True)
        tokenizer.save_pretrained(paths.model)
        runs.write_json(paths.metrics, report)
        write_model_card(run_dir, config, report)
    return report


def run_training(run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train the run in ``run_dir`` to the end (or a stop) and return the final summary.

    With ``resume`` it continues from the newest complete checkpoint (weights, optimizer, scheduler,
    RNG and data position); without a checkpoint it starts from scratch.
    """
    from core.runs.lock import device_lock

    run_dir = Path(run_dir).resolve()
    config = runs.load_config(run_dir)
    main = _is_main_process()
    checkpoint = runs.last_checkpoint(run_dir) if resume else None
    if resume and checkpoint is None and (runs.RunPaths(run_dir).model / "config.json").exists():
        raise RunError(f"Run {run_dir.name} has no checkpoint to resume from; start a new run instead.")
    if main:  # from here on this process is the only writer of status.json
        runs.write_status(run_dir, "queued", message=None, error_kind=None, retry=None)
    started = time.time()
    try:
        with device_lock(run_dir, config, main, stop_requested):
            if stop_requested(run_dir):
                raise RunError("Stopped before training started.")
            if main:
                runs.write_status(run_dir, "running", message=None)
            trainer, result, report = _train(config, run_dir, checkpoint, main)
    except BaseException as exc:
        if main:
            _record_failure(run_dir, config, exc)
        raise
    summary = _summary(run_dir, config, trainer, result, report, checkpoint, started)
    if main:
        _record_end(run_dir, summary)
    return summary


def _train(config: RunConfig, run_dir: Path, checkpoint: Path | None, main: bool) -> tuple[Any, Any, dict[str, Any]]:
    """Load, tokenize, train and save; returns the trainer, the train result and the final report."""
    tokenizer = load_tokenizer(resolve_source(config.model))
    frames = load_frames(config)
    if pick_device(config.train.device) == "cpu":
        choose_cpu_threads()  # this is the training child: its thread count is its own
    args = build_arguments(config, run_dir, len(frames[0]))
    with args.main_process_first(desc="tokenize"):  # rank 0 fills the cache, the others read it
        train, val = tokenize_frames(config, tokenizer, frames)
    val = by_length(val)
    trainer = build_trainer(config, run_dir, tokenizer, train, val, args)
    if main:
        config.save(runs.RunPaths(run_dir).config)
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    callback = next(c for c in trainer.callback_handler.callbacks if type(c).__name__ == "EventCallback")
    if callback.non_finite:
        raise NonFiniteLossError(callback.non_finite)
    return trainer, result, _save_outputs(trainer, config, run_dir, tokenizer, val)


def _summary(run_dir: Path, config: RunConfig, trainer: Any, result: Any, report: dict[str, Any],
             checkpoint: Path | None, started: float) -> dict[str, Any]:
    stopped = stop_requested(run_dir)
    return {
        "run_dir": str(run_dir),
        "state": "stopped" if stopped else "finished",
        "metrics": {k: report[k] for k in ("accuracy", "f1_macro", "eval_loss", "per_class")},
        "train_samples_per_second": result.metrics.get("train_samples_per_second"),
        "train_runtime": result.metrics.get("train_runtime"),
        "global_step": result.global_step,
        "total_steps": trainer.state.max_steps,
        "early_stopped": not stopped and result.global_step < trainer.state.max_steps,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_metric": trainer.state.best_metric,
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else 0,
        "device": config.resolved.get("device"),
        "precision": config.resolved.get("precision"),
        "wall_seconds": round(time.time() - started, 2),
    }


def _record_end(run_dir: Path, summary: dict[str, Any]) -> None:
    """The final event and status of a run that finished or was stopped."""
    runs.RunPaths(run_dir).stop_flag.unlink(missing_ok=True)
    runs.append_event(run_dir, {"event": summary["state"], "step": summary["global_step"],
                                **{k: summary[k] for k in ("metrics", "total_steps", "early_stopped", "best_checkpoint",
                                                           "best_metric", "train_samples_per_second")}})
    runs.write_status(run_dir, summary["state"], message="Stopped early: no improvement." if summary["early_stopped"]
                      else None, global_step=summary["global_step"], total_steps=summary["total_steps"])


def _record_failure(run_dir: Path, config: RunConfig, exc: BaseException) -> None:
    """The final event and status of a run that failed, was stopped while queued, or was interrupted."""
    state = "stopped" if isinstance(exc, RunError) and stop_requested(run_dir) else "failed"
    state = "interrupted" if isinstance(exc, KeyboardInterrupt) else state
    message = _failure_message(exc, config)
    fields = {} if state == "stopped" else _error_fields(exc, config)
    runs.append_event(run_dir, {"event": state, "message": message, **fields})
    runs.write_status(run_dir, state, message=message, **fields)


class NonFiniteLossError(RunError):
    """The training loss became NaN or infinite."""


def _is_oom(exc: BaseException) -> bool:
    return "out of memory" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError"


def _failure_message(exc: BaseException, config: RunConfig) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted from the keyboard: resume the run to continue from its last checkpoint."
    if _is_oom(exc):
        retry = _oom_retry(config)
        if retry is None:
            return "Out of memory at batch size 1: lower max_length, use LoRA or a smaller model."
        return (f"Out of memory at batch size {config.train.batch_size}: retry with batch size {retry['batch_size']} "
                f"and gradient accumulation {retry['gradient_accumulation_steps']} (same effective batch).")
    return str(exc) or type(exc).__name__


def _oom_retry(config: RunConfig) -> dict[str, int] | None:
    """The halved-batch settings to retry with after an out-of-memory, or None at batch size 1."""
    try:
        return runs.smaller_batch(config.train.batch_size, config.train.gradient_accumulation_steps)
    except RunError:
        return None


def _error_fields(exc: BaseException, config: RunConfig) -> dict[str, Any]:
    """``error_kind`` (and for out-of-memory the ``retry`` settings) for status.json and the final event."""
    if isinstance(exc, NonFiniteLossError):
        return {"error_kind": "non_finite_loss"}
    if not _is_oom(exc):
        return {"error_kind": type(exc).__name__}
    return {"error_kind": "out_of_memory", "retry": _oom_retry(config)}
