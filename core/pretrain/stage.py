"""The optional first stage of a run: continue masked-LM (encoders) or causal-LM (decoders) training on
unlabelled text, then hand the adapted weights to fine-tuning.

Everything lives in the run folder's ``pretrain/`` subfolder: its Trainer checkpoints
(``pretrain/checkpoints/``) and the adapted model with its LM head (``pretrain/model/``, written all at
once). Its events go to the run's ``events.jsonl`` with ``"stage": "pretrain"``: loss, and at each
evaluation the held-out loss and perplexity (exp of it). The held-out texts of a masked LM are masked
once, with the run's seed, so every evaluation scores the same positions. A relaunch of the run
continues pre-training from its newest intact checkpoint; once ``pretrain/model/`` exists the stage is
never redone and its checkpoints are deleted. The Trainer, its schedule, events and stop handling are
fine-tuning's own (``core.training``). The job (``core.job.run``) runs this stage before the recipe, which then
starts from ``pretrain/model/``.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path
from typing import Any

from core import runs
from core.config import RunConfig
from core.data import TEXT
from core.devices import pick_device
from core.errors import ConfigError, RunError
from core.models import load_tokenizer
from core.pretrain.data import Collator, lm_datasets
from core.pretrain.lm import keep_base_weights, load_language_model
from core.pretrain.paths import STAGE, adapted_model, stage_paths
from core.pretrain.texts import check_count, read_texts, split_texts
from core.training.arguments import build_arguments
from core.training.callback import EventCallback, echo
from core.training.datasets import load_frames
from core.training.saving import save_model_folder
from core.training.stopping import stop_requested
from core.training.trainer import WeightedTrainer


class StageCallback(EventCallback):
    """Fine-tuning's event callback, with ``stage: "pretrain"`` on every event and perplexity at evaluations."""

    def _emit(self, state: Any, event: dict[str, Any]) -> None:
        super()._emit(state, {**event, "stage": STAGE})

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not logs or "eval_loss" not in logs:
            return super().on_log(args, state, control, logs=logs, **kwargs)
        metrics = {k.removeprefix("eval_"): v for k, v in logs.items() if k.startswith("eval_")}
        metrics["perplexity"] = perplexity(metrics["loss"])
        self._emit(state, {"event": "eval", "step": state.global_step, "epoch": logs.get("epoch", state.epoch),
                           **metrics})
        if state.is_world_process_zero:
            echo(f"pre-training eval at step {state.global_step}: loss {metrics['loss']:.4f} "
                 f"perplexity {metrics['perplexity']:.2f}")
        return None


def perplexity(loss: float) -> float:
    """exp(loss), capped so a diverged loss reads as a huge number rather than an overflow."""
    return math.exp(min(float(loss), 50.0))


def stage_texts(config: RunConfig) -> list[str]:
    """The unlabelled texts: the training split's text column, or the pre-training file's texts."""
    if config.train.pretrain == "training text":
        train_frame = load_frames(config)[0]
        return check_count([str(t) for t in train_frame[TEXT] if str(t).strip()], "The training data")
    if not config.train.pretrain_file:
        raise ConfigError("pretrain is 'file' but no pre-training file was given: choose a .txt, .csv or .jsonl file.")
    return read_texts(config.train.pretrain_file, config.data.text_column)


def stage_config(config: RunConfig) -> RunConfig:
    """The run's configuration with the pre-training schedule: its epochs and learning rate, automatic
    evaluation/checkpoint/logging steps, the held-out loss as best-model metric, no early stopping."""
    t = config.train
    train = dataclasses.replace(t, epochs=t.pretrain_epochs, learning_rate=t.pretrain_learning_rate, max_steps=None,
                                eval_steps=None, save_steps=None, logging_steps=None, early_stopping_patience=None,
                                metric_for_best_model="eval_loss")
    return dataclasses.replace(config, train=train, resolved={})


def run_pretrain(config: RunConfig, run_dir: Path, main: bool) -> Path:
    """Pre-train (or finish pre-training) and return ``pretrain/model/``; records what it did in
    ``config.resolved["pretrain"]``. A stop request ends the run as stopped, resumable from here."""
    done = adapted_model(run_dir)
    if done is not None:
        return done
    paths = stage_paths(run_dir)
    source = config.model.resolve()
    tokenizer = load_tokenizer(source)
    t, sub = config.train, stage_config(config)
    train_texts, held_texts = split_texts(stage_texts(config), t.seed)
    lm = load_language_model(source, attn_implementation="eager" if pick_device(t.device) == "cpu" else None)
    if not lm.decoder and tokenizer.mask_token is None:
        raise ConfigError(f"{source.display} has no mask token, so it cannot be pre-trained as a masked LM: "
                          "turn pre-training off or choose another model.")
    train, held = lm_datasets(tokenizer, train_texts, held_texts, t.max_length,
                              None if lm.decoder else t.mlm_probability, t.seed)
    args = build_arguments(sub, paths.root, len(train))
    if main:
        runs.write_status(run_dir, "running", message=f"Pre-training on {len(train_texts)} texts (stage 1 of 2).")
    info = {"objective": "causal_lm" if lm.decoder else "masked_lm", "texts": len(train_texts),
            "held_out": len(held_texts), "blocks": len(train), "new_head": lm.new_head,
            "total_steps": sub.resolved.get("total_steps")}
    trainer = _trainer(sub, run_dir, tokenizer, lm, train, held, args, info)
    point = runs.find_resume_point(paths.root)
    trainer.train(resume_from_checkpoint=str(point.checkpoint) if point.checkpoint else None)
    _check_ended(run_dir, trainer)
    return _save(config, run_dir, trainer, tokenizer, source, info, main)


def _check_ended(run_dir: Path, trainer: Any) -> None:
    if trainer.events.non_finite:
        raise RunError(trainer.events.non_finite.replace("training loss", "pre-training loss"))
    if stop_requested(run_dir):
        raise RunError("Stopped during pre-training: resume the run to continue pre-training from its last "
                       "checkpoint.")


def _save(config: RunConfig, run_dir: Path, trainer: Any, tokenizer: Any, source: Any, info: dict[str, Any],
          main: bool) -> Path:
    paths = stage_paths(run_dir)
    model = trainer.model
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    best = trainer.state.best_metric
    info.update(best_eval_loss=best, perplexity=perplexity(best) if best is not None else None,
                steps=trainer.state.global_step)
    config.resolved["pretrain"] = info
    if main:
        save_model_folder(model, tokenizer, paths.model)
        info["kept_base_weights"] = keep_base_weights(paths.model, source, getattr(model, "base_model_prefix", ""))
        shutil.rmtree(paths.checkpoints, ignore_errors=True)  # never resumed again: give the disk back
        runs.append_event(run_dir, {"event": "stage_done", "stage": STAGE, "step": trainer.state.global_step,
                                    **{k: info[k] for k in ("best_eval_loss", "perplexity", "texts", "held_out")}})
    return paths.model


def _trainer(sub: RunConfig, run_dir: Path, tokenizer: Any, lm: Any, train: Any, held: Any, args: Any,
             info: dict[str, Any]) -> Any:
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback

    t = sub.train
    set_seed(t.seed)
    model = lm.model
    if t.lora:
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.CAUSAL_LM if lm.decoder else None, r=t.lora_rank,
                                                 lora_alpha=2 * t.lora_rank, lora_dropout=0.1))
    trainer = WeightedTrainer(model=model, args=args, train_dataset=train, eval_dataset=held,
                              processing_class=tokenizer,
                              data_collator=Collator(tokenizer, None if lm.decoder else t.mlm_probability),
                              events=StageCallback(run_dir, stop_requested, info=info))
    trainer.remove_callback(PrinterCallback)
    return trainer
