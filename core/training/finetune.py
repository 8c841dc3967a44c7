"""Fine-tuning one run folder, fresh or resumed: the fine-tune recipe's training (``core.training.recipe``).

Loads the tokenizer and the data, tokenizes (cached), builds the configured Trainer
(``core.training.trainer``), trains or resumes from a checkpoint, saves the training dynamics
(``dynamics.npz``) and scores the best model on the validation rows. It returns a :class:`Trained`;
the run's lock, status, final outputs and index are the job's (``core.job``). A resume whose checkpoint
was saved at the last step (only the outputs were missing, e.g. after a full disk) trains no further step.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.config import RunConfig
from core.modelref import ModelRef
from core.models import load_tokenizer
from core.training.arguments import build_arguments
from core.training.datasets import load_frames, tokenize_frames
from core.training.dynamics import DYNAMICS_FILE, TrainingDynamics
from core.training.metrics import final_report, label_thresholds
from core.training.outcome import NonFiniteLossError, Trained
from core.training.trainer import build_trainer, by_length


def train_finetune(config: RunConfig, run_dir: Path, *, start: ModelRef, checkpoint: Path | None, main: bool) -> Trained:
    """Fine-tune ``start`` (the run's base model, or the weights an earlier stage adapted) for the run in
    ``run_dir``, resuming from ``checkpoint`` when given; ``main`` (rank 0) alone writes to the folder."""
    tokenizer = load_tokenizer(config.model.resolve())
    frames = load_frames(config)
    base = config if start == config.model else dataclasses.replace(config, model=start)
    args = build_arguments(config, run_dir, len(frames[0]))
    with args.main_process_first(desc="tokenize"):  # rank 0 fills the cache, the others read it
        train, val = tokenize_frames(config, tokenizer, frames)
    val = by_length(val)
    trainer = build_trainer(base, run_dir, tokenizer, train, val, args)
    if main:  # the device, precision and schedule are resolved now: the UI shows them while training
        config.save(runs.RunPaths(run_dir).config)
    if checkpoint is not None and training_done(checkpoint):
        result = restore_final(trainer, checkpoint)  # only the outputs were missing (a failed save)
    else:
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        if trainer.recorder is not None:  # finished or stopped: the rows' dynamics
            save_dynamics(trainer, run_dir, main)
    if trainer.events.non_finite:
        raise NonFiniteLossError(trainer.events.non_finite)
    model, report, validation = final_model(trainer, config, val)
    return Trained.from_trainer(trainer, result, model, tokenizer, report, validation)


def final_model(trainer: Any, config: RunConfig, val: Any) -> tuple[Any, dict[str, Any], tuple[Any, Any]]:
    """The best model ready to save (LoRA merged, multi-label thresholds in its config), its final report and the
    validation (logits, labels) it was scored on (the job calibrates the model on them: ``core.job.calibrate``)."""
    model = trainer.model
    if config.train.lora and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    output = trainer.final_predictions(val)  # the best checkpoint's own evaluation (core.training.engine)
    logits = output.predictions[0] if isinstance(output.predictions, tuple) else output.predictions
    report = final_report(np.asarray(output.label_ids), np.asarray(logits), config.labels)
    if label_thresholds(report):  # multi-label: the tuned decision thresholds travel with the model
        model.config.label_thresholds = label_thresholds(report)
    report["eval_loss"] = float(output.metrics.get("test_loss", float("nan")))
    return model, report, (np.asarray(logits), np.asarray(output.label_ids))


def training_done(checkpoint: Path) -> bool:
    """True when ``checkpoint`` was saved at the last training step (the Trainer would train one step more), or
    when early stopping had decided there (an auto length's plateau: its patience used up)."""
    state = runs.read_json(checkpoint / "trainer_state.json", {}) or {}
    if int(state.get("max_steps") or 0) > 0 and int(state.get("global_step") or 0) >= int(state["max_steps"]):
        return True
    early = (state.get("stateful_callbacks") or {}).get("EarlyStoppingCallback") or {}
    early = early[-1] if isinstance(early, list) and early else early  # one entry per callback instance
    patience = (early.get("args") or {}).get("early_stopping_patience") if isinstance(early, dict) else None
    counter = (early.get("attributes") or {}).get("early_stopping_patience_counter", 0) if patience else 0
    return bool(patience) and int(counter) >= int(patience)


def restore_final(trainer: Any, checkpoint: Path) -> Any:
    """The Trainer's state and best model from the final ``checkpoint``, as ``train()`` would have left them."""
    from transformers import TrainerState
    from transformers.trainer_utils import TrainOutput

    trainer.state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    best = trainer.state.best_model_checkpoint
    usable = best and Path(best).is_dir() and runs.checkpoint_problem(best) is None
    trainer._load_from_checkpoint(str(best if usable else checkpoint))
    return TrainOutput(trainer.state.global_step, float("nan"), {})


def save_dynamics(trainer: Any, run_dir: Path, main: bool) -> None:
    """Write ``dynamics.npz``: under torchrun each process recorded the rows it trained on, so each writes its part
    beside the run, and rank 0 merges them once all are written."""
    if trainer.args.world_size <= 1:
        trainer.recorder.save(run_dir / DYNAMICS_FILE)
        return
    trainer.recorder.save(run_dir / f".dynamics-rank{trainer.args.process_index}.npz")
    trainer.accelerator.wait_for_everyone()
    if main:
        parts = sorted(run_dir.glob(".dynamics-rank*.npz"))
        TrainingDynamics.merged([TrainingDynamics.load(part) for part in parts]).save(run_dir / DYNAMICS_FILE)
        for part in parts:
            part.unlink(missing_ok=True)
