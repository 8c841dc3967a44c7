"""Train one run folder to the end (or a stop) and record how it ended.

Loads the data and tokenizer, builds the Trainer (``core.training.trainer``), trains under the
device lock (``core.runs.lock``), saves ``model/`` (all at once, ``core.training.saving``),
``metrics.json`` and the model card, writes the final event and status, and then (outside the device
lock, the model already usable) the optional similar-examples index (``core.inference.similar``).
An optional pre-training stage (``core.pretrain``) runs first and fine-tuning starts from its weights. The training process owns ``status.json`` from its first line
on; a failure becomes a ``failed`` state with one sentence saying what to do (for a full disk: which
checkpoint is intact to resume from). A resume starts from the newest intact checkpoint and records
which damaged ones it skipped.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.config import RunConfig
from core.devices import pick_device
from core.errors import RunError
from core.models import load_tokenizer
from core.training.arguments import build_arguments
from core.training.datasets import load_frames, tokenize_frames
from core.training.metrics import final_report, label_thresholds
from core.training.saving import SaveFailed, save_error_kind, save_failure_message, save_model_folder
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
    output = trainer.final_predictions(val)  # the best checkpoint's own evaluation (core.training.engine)
    logits = output.predictions[0] if isinstance(output.predictions, tuple) else output.predictions
    report = final_report(np.asarray(output.label_ids), np.asarray(logits), config.labels)
    if label_thresholds(report):  # multi-label: the tuned decision thresholds travel with the model
        model.config.label_thresholds = label_thresholds(report)
    report["eval_loss"] = float(output.metrics.get("test_loss", float("nan")))
    if _is_main_process():
        save_model_folder(model, tokenizer, paths.model)
        try:
            runs.write_json(paths.metrics, report)
            write_model_card(run_dir, config, report)
        except OSError as exc:
            raise SaveFailed("metrics.json and README.md", exc) from exc
    return report


def run_training(run_dir: str | Path, resume: bool = False) -> dict[str, Any]:
    """Train the run in ``run_dir`` to the end (or a stop) and return the final summary.

    With ``resume`` it continues from the newest intact checkpoint (weights, optimizer, scheduler,
    RNG and data position), skipping damaged newer ones; without a checkpoint it starts from scratch.
    """
    from core.runs.lock import device_lock

    run_dir = Path(run_dir).resolve()
    config = runs.load_config(run_dir)
    main = _is_main_process()
    point = runs.check_resumable(run_dir, check_state=False) if resume else runs.ResumePoint(None)
    if main:  # from here on this process is the only writer of status.json
        runs.write_status(run_dir, "queued", message=point.note, error_kind=None, retry=None)
        _record_skipped(run_dir, point)
    started = time.time()
    try:
        with device_lock(run_dir, config, main, stop_requested):
            if stop_requested(run_dir):
                raise RunError("Stopped before training started.")
            if main:
                runs.write_status(run_dir, "running", message=point.note)
            trainer, result, report = _train(config, run_dir, point.checkpoint, main)
    except BaseException as exc:
        if main:
            _record_failure(run_dir, config, exc)
        raise
    summary = _summary(run_dir, config, trainer, result, report, point, started)
    if main:
        _record_end(run_dir, summary)
        # after the final status: the run and its model are usable while the index is built (bench/README.md)
        _write_index(run_dir, stopped=summary["state"] == "stopped")
    return summary


def _train(config: RunConfig, run_dir: Path, checkpoint: Path | None, main: bool) -> tuple[Any, Any, dict[str, Any]]:
    """Load, tokenize, train and save; returns the trainer, the train result and the final report."""
    if config.train.recipe == "setfit":
        return _train_fewshot(config, run_dir, main)
    tokenizer = load_tokenizer(config.model.resolve())
    frames = load_frames(config)
    if pick_device(config.train.device) == "cpu":
        choose_cpu_threads()  # this is the training child: its thread count is its own
    base = _with_pretraining(config, run_dir, frames[0], main)
    args = build_arguments(config, run_dir, len(frames[0]))
    with args.main_process_first(desc="tokenize"):  # rank 0 fills the cache, the others read it
        train, val = tokenize_frames(config, tokenizer, frames)
    val = by_length(val)
    trainer = build_trainer(base, run_dir, tokenizer, train, val, args)
    if main:
        config.save(runs.RunPaths(run_dir).config)
    if checkpoint is not None and _training_done(checkpoint):
        result = _restore_final(trainer, checkpoint)  # only the outputs were missing (a failed save)
    else:
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        if main and getattr(trainer, "recorder", None) is not None:  # finished or stopped: the rows' dynamics
            trainer.recorder.save(run_dir / "dynamics.npz")
    callback = next(c for c in trainer.callback_handler.callbacks if type(c).__name__ == "EventCallback")
    if callback.non_finite:
        raise NonFiniteLossError(callback.non_finite)
    report = _save_outputs(trainer, config, run_dir, tokenizer, val)
    return trainer, result, report


def _with_pretraining(config: RunConfig, run_dir: Path, frame: Any, main: bool) -> RunConfig:
    """``config`` fine-tuning the adapted weights of the pre-training stage (``core.pretrain``) when it is on;
    a relaunch finishes an interrupted stage, and never redoes a finished one."""
    if config.train.pretrain == "off":
        return config
    from core.pretrain.stage import run_pretrain

    adapted = run_pretrain(config, run_dir, frame, main)
    if main:
        runs.write_status(run_dir, "running", message="Fine-tuning (stage 2 of 2).")
    return dataclasses.replace(config, model=str(adapted))


def _train_fewshot(config: RunConfig, run_dir: Path, main: bool) -> tuple[Any, Any, dict[str, Any]]:
    """The few-shot route (``core.fewshot``): SetFit body training and a fitted head; no checkpoints."""
    from core.fewshot.train import train_fewshot

    trainer, result, report = train_fewshot(config, run_dir, main)
    return trainer, result, report


def _write_index(run_dir: Path, frame: Any = None, stopped: bool | None = None) -> None:
    """The similar-examples index of the saved model (``core.inference.similar``), with progress lines.

    Optional: a stopped run gets none (an older index is removed, as it describes an older model), and
    a failure is a note in the log, not a failed run; ``python -m core index RUN`` builds it later.
    """
    import shutil

    from core.inference.similar import build_index, index_folder, progress_lines

    later = f"build it later with `python -m core index {run_dir}`"
    if stop_requested(run_dir) if stopped is None else stopped:  # the final status already removed STOP
        shutil.rmtree(index_folder(run_dir), ignore_errors=True)
        print(f"note: stopped, so no similar-examples index: {later}.", file=sys.stderr, flush=True)
        return
    try:
        build_index(run_dir, frame, progress=progress_lines())
    except Exception as exc:  # the model is saved: an index that could not be written never fails the run
        print(f"note: no similar-examples index ({type(exc).__name__}: {exc}): {later}.", file=sys.stderr, flush=True)


def _training_done(checkpoint: Path) -> bool:
    """True when ``checkpoint`` was saved at the last training step (the Trainer would train one step more)."""
    state = runs.read_json(checkpoint / "trainer_state.json", {}) or {}
    return int(state.get("max_steps") or 0) > 0 and int(state.get("global_step") or 0) >= int(state["max_steps"])


def _restore_final(trainer: Any, checkpoint: Path) -> Any:
    """The Trainer's state and best model from the final ``checkpoint``, as ``train()`` would have left them."""
    from transformers import TrainerState
    from transformers.trainer_utils import TrainOutput

    trainer.state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    best = trainer.state.best_model_checkpoint
    usable = best and Path(best).is_dir() and runs.checkpoint_problem(best) is None
    trainer._load_from_checkpoint(str(best if usable else checkpoint))
    return TrainOutput(trainer.state.global_step, float("nan"), {})


def _record_skipped(run_dir: Path, point: runs.ResumePoint) -> None:
    """The event (and a stderr line) naming the damaged checkpoints a resume skipped, and why."""
    if point.note:
        runs.append_event(run_dir, {"event": "checkpoint_skipped", "message": point.note,
                                    "skipped": point.to_list(),
                                    "resume_from": point.checkpoint.name if point.checkpoint else None})
        print(f"note: {point.note}", file=sys.stderr, flush=True)


def _summary(run_dir: Path, config: RunConfig, trainer: Any, result: Any, report: dict[str, Any],
             point: runs.ResumePoint, started: float) -> dict[str, Any]:
    stopped = stop_requested(run_dir)
    checkpoint = point.checkpoint
    return {
        "run_dir": str(run_dir),
        "state": "stopped" if stopped else "finished",
        "metrics": {k: report[k] for k in ("accuracy", "f1_macro", "eval_loss", "per_class", "multi_label", "f1_micro",
                                           "subset_accuracy", "per_label") if k in report},
        "train_samples_per_second": result.metrics.get("train_samples_per_second"),
        "train_runtime": result.metrics.get("train_runtime"),
        "global_step": result.global_step,
        "total_steps": trainer.state.max_steps,
        "early_stopped": not stopped and result.global_step < trainer.state.max_steps,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_metric": trainer.state.best_metric,
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else 0,
        "resume_note": point.note,
        "skipped_checkpoints": point.to_list(),
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
    stopped = isinstance(exc, RunError) and not isinstance(exc, SaveFailed) and stop_requested(run_dir)
    state = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped" if stopped else "failed"
    message = save_failure_message(exc, run_dir) or _failure_message(exc, config)
    fields = {} if state == "stopped" else _error_fields(exc, config)
    try:
        runs.append_event(run_dir, {"event": state, "message": message, **fields})
        runs.write_status(run_dir, state, message=message, **fields)
    except OSError:  # a full disk may refuse even these few bytes: the log still says why
        print(f"error: {message}", file=sys.stderr, flush=True)


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
    if save_error_kind(exc):
        return {"error_kind": save_error_kind(exc)}
    if not _is_oom(exc):
        return {"error_kind": type(exc).__name__}
    return {"error_kind": "out_of_memory", "retry": _oom_retry(config)}
