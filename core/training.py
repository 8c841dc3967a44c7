"""Fine-tune a classifier for one run folder with ``transformers.Trainer``.

Prepares tokenized datasets (batched ``datasets.map``, cached by data hash), builds the Trainer with
device/precision/class weights/early stopping/LoRA options, observes it through one callback that
writes ``events.jsonl``, honours cooperative stop (STOP file or SIGTERM), and writes ``model/``,
``metrics.json`` and the model card. Run-folder bookkeeping is in ``core.runs``.
"""

from __future__ import annotations

import hashlib
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.config import RunConfig
from core.data import LABEL, TEXT, TEXT_PAIR, load_labelled, overlap_report, split_train_val
from core.errors import ConfigError, RunError
from core.metrics import full_report, trainer_metrics
from core.models import load_classifier, load_tokenizer, pick_device, pick_precision, resolve_source

_STOP_SIGNALLED = False


def _on_sigterm(signum: int, frame: Any) -> None:
    global _STOP_SIGNALLED
    _STOP_SIGNALLED = True


def cache_dir() -> Path:
    """Where tokenized datasets are cached ($TUNESCOPE_CACHE or ~/.cache/tunescope)."""
    return Path(os.environ.get("TUNESCOPE_CACHE") or Path.home() / ".cache" / "tunescope") / "tokenized"


def tokenize_frame(frame: Any, tokenizer: Any, max_length: int, labels: list[str], cache_key: str | None = None) -> Any:
    """A ``datasets.Dataset`` with input ids, labels and lengths; cached on disk when ``cache_key`` is set."""
    from datasets import Dataset

    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(frame[LABEL]) - set(label2id))
    if unknown:
        raise ConfigError(
            f"The validation data has labels the training data lacks: {', '.join(unknown[:5])}. "
            "Use the same label names in both files."
        )
    has_pair = TEXT_PAIR in frame.columns

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[TEXT_PAIR] if has_pair else None
        encoded = tokenizer(batch[TEXT], pair, truncation=True, max_length=max_length)
        encoded["labels"] = [label2id[label] for label in batch[LABEL]]
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    dataset = Dataset.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    kwargs: dict[str, Any] = {}
    if cache_key:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        kwargs = {"cache_file_name": str(folder / f"{cache_key}.arrow"), "load_from_cache_file": True}
    return dataset.map(encode, batched=True, batch_size=1000, remove_columns=dataset.column_names, **kwargs)


def _cache_key(config: RunConfig, split: str, tokenizer: Any, data_hash: str | None) -> str | None:
    if not data_hash:
        return None
    parts = [
        data_hash, split, str(getattr(tokenizer, "name_or_path", "")), type(tokenizer).__name__,
        str(config.train.max_length), str(config.data.text_column), str(config.data.text_pair_column),
        str(config.data.label_column), str(config.data.val_fraction), str(config.train.seed), ",".join(config.labels),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def load_frames(config: RunConfig) -> tuple[Any, Any, str | None]:
    """Train and validation tables (a given validation file or a seeded split) and the validation hash."""
    from core.data import file_hash

    data_cfg = config.data
    data = load_labelled(data_cfg.train_file, data_cfg.text_column, data_cfg.label_column, data_cfg.text_pair_column)
    if data_cfg.val_file:
        val_frame = load_labelled(
            data_cfg.val_file, data_cfg.text_column, data_cfg.label_column, data_cfg.text_pair_column
        ).frame
        frames = (data.frame, val_frame, file_hash(data_cfg.val_file))
    else:
        train_frame, val_frame = split_train_val(data, data_cfg.val_fraction, config.train.seed)
        frames = (train_frame, val_frame, config.data_hash)
    overlap = overlap_report(frames[0], frames[1])
    config.resolved["train_val_overlap"] = {k: v for k, v in overlap.items() if not isinstance(v, list | dict)}
    return frames


def tokenize_frames(config: RunConfig, tokenizer: Any, frames: tuple[Any, Any, str | None]) -> tuple[Any, Any]:
    """Tokenized (cached) train and validation datasets for the frames of :func:`load_frames`."""
    train_frame, val_frame, val_hash = frames
    train = tokenize_frame(train_frame, tokenizer, config.train.max_length, config.labels,
                           _cache_key(config, "train", tokenizer, config.data_hash))
    val = tokenize_frame(val_frame, tokenizer, config.train.max_length, config.labels,
                         _cache_key(config, "val", tokenizer, val_hash))
    return train, val


def prepare_datasets(config: RunConfig, tokenizer: Any) -> tuple[Any, Any]:
    """Train and validation datasets for ``config``: a given validation file or a seeded split."""
    return tokenize_frames(config, tokenizer, load_frames(config))


def class_weights(label_ids: list[int], n_labels: int, mode: str) -> list[float] | None:
    """Inverse-frequency weights (mean 1) when mode is 'on', or 'auto' and the largest class is 3x the smallest."""
    counts = np.bincount(np.asarray(label_ids), minlength=n_labels).astype(float)
    if mode == "off" or counts.min() == 0:
        return None
    if mode == "auto" and counts.max() / counts.min() < 3:
        return None
    weights = counts.sum() / (n_labels * counts)
    return [float(w) for w in weights / weights.mean()]


def _schedule(config: RunConfig, n_train: int, world: int) -> dict[str, int]:
    t = config.train
    per_step = t.batch_size * t.gradient_accumulation_steps * world
    total = t.max_steps or max(1, math.ceil(t.epochs * math.ceil(n_train / per_step)))
    logging = t.logging_steps or max(1, min(25, total // 60))
    evaluation = t.eval_steps or max(logging, math.ceil(total / 4))
    return {"total": total, "logging": logging, "eval": evaluation, "save": t.save_steps or evaluation}


def build_arguments(config: RunConfig, run_dir: Path, n_train: int) -> Any:
    """``TrainingArguments`` for this run; resolves device, precision and schedule into ``config.resolved``.

    Creating them also sets up torch.distributed under ``torchrun``/``accelerate launch``.
    """
    from transformers import TrainingArguments

    t = config.train
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = pick_device(t.device)
    precision = pick_precision(device, t.precision)
    schedule = _schedule(config, n_train, world)
    config.resolved.update(device=device, precision=precision, world_size=world, total_steps=schedule["total"],
                           eval_steps=schedule["eval"], save_steps=schedule["save"], logging_steps=schedule["logging"],
                           effective_batch_size=t.batch_size * t.gradient_accumulation_steps * world,
                           torch_threads=_torch_threads())
    metric = t.metric_for_best_model
    return TrainingArguments(
        output_dir=str(runs.RunPaths(run_dir).checkpoints),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps or -1,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=max(t.batch_size, 64),
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        # fine-tuning gradients here had norms of 3-10: clipping at HF's 1.0 damped every step, and
        # 5.0 gave +0.004 dev accuracy on SST-2 over three seeds (bench/README.md)
        max_grad_norm=t.max_grad_norm,
        warmup_steps=t.warmup_ratio,
        lr_scheduler_type=t.lr_scheduler if t.lr_scheduler != "constant" else "constant_with_warmup",
        optim="adamw_torch_fused",
        seed=t.seed,
        data_seed=t.seed,
        logging_strategy="steps",
        logging_steps=schedule["logging"],
        logging_nan_inf_filter=False,
        eval_strategy="steps",
        eval_steps=schedule["eval"],
        save_strategy="steps",
        save_steps=schedule["save"],
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=metric != "eval_loss",
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        use_cpu=device == "cpu",
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        ddp_backend="gloo" if world > 1 and device == "cpu" else None,
        ddp_find_unused_parameters=False if world > 1 else None,
        report_to="none",
        disable_tqdm=not _show_bar(),
        dataloader_num_workers=0,
    )


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def choose_cpu_threads() -> int:
    """Intra-op threads for CPU training: $TUNESCOPE_THREADS, else the cores other processes leave free.

    On a shared 2-core box with another job running, one thread trained MiniLM 1.7-8x faster than two
    (OpenMP threads stall at every barrier while a busy core runs someone else); on an idle box all
    cores are used. torchrun/accelerate set OMP_NUM_THREADS per process and that is kept.
    """
    import torch

    if os.environ.get("TUNESCOPE_THREADS"):
        threads = max(1, int(os.environ["TUNESCOPE_THREADS"]))
    elif os.environ.get("OMP_NUM_THREADS"):
        return int(torch.get_num_threads())
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        free = cores - busy_cores(cores)
        threads = cores if free >= cores - 0.5 else max(1, min(cores, math.floor(free + 0.5)))
    torch.set_num_threads(threads)
    return threads


def busy_cores(cores: int, window: float = 0.5) -> float:
    """How many cores other processes keep busy right now: /proc/stat over ``window`` seconds.

    The load average lags by a minute, so a run started just after another one finished would see
    the finished run's load and take one thread on an idle machine. Falls back to it off Linux.
    """

    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    first = sample()
    if first is None:
        return min(float(cores), os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0.0
    time.sleep(window)
    second = sample()
    total, idle = second[0] - first[0], second[1] - first[1]
    if total <= 0:
        return 0.0
    machine_cores = os.cpu_count() or cores
    return min(float(cores), (1.0 - idle / total) * machine_cores)


def build_trainer(config: RunConfig, run_dir: Path, tokenizer: Any, train: Any, val: Any, args: Any = None) -> Any:
    """The configured ``Trainer`` (model, arguments, callbacks) for this run."""
    import torch
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, set_seed

    from core.events import EventCallback, WeightedTrainer

    t = config.train
    args = args if args is not None else build_arguments(config, run_dir, len(train))
    weights = class_weights(train["labels"], len(config.labels), t.class_weights)
    config.resolved.update(class_weights=dict(zip(config.labels, weights, strict=True)) if weights else None,
                           class_weights_mode=t.class_weights, train_rows=len(train), val_rows=len(val),
                           lora_rank=t.lora_rank if t.lora else None)
    set_seed(t.seed)  # the new classification head's initial weights depend on the seed too
    dropout = t.resolved_dropout()
    # on a CPU the plain attention kernels beat SDPA's for these short sequences (bench/README.md)
    attention = "eager" if config.resolved.get("device") == "cpu" else None
    model = load_classifier(resolve_source(config.model), config.labels, tokenizer=tokenizer, dropout=dropout,
                            attn_implementation=attention)
    frozen = freeze_word_embeddings(model) if t.freeze_embeddings and not t.lora else 0
    config.resolved.update(dropout="model" if dropout is None else dropout, frozen_embedding_weights=frozen,
                           attention=attention or "default")
    if t.lora:
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=t.lora_rank,
                                                 lora_alpha=2 * t.lora_rank, lora_dropout=0.1))
    callbacks: list[Any] = [EventCallback(run_dir, stop_requested, info=dict(config.resolved))]
    if t.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=t.early_stopping_patience))
    device = config.resolved.get("device")
    trainer = WeightedTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if device == "cuda" else None),
        compute_metrics=trainer_metrics,
        callbacks=callbacks,
        class_weights=torch.tensor(weights) if weights else None,
    )
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)  # raw log dicts: our callback prints readable lines instead
    if _show_bar():
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(_quiet_progress())
    return trainer


def by_length(dataset: Any) -> Any:
    """The validation set ordered by length, so evaluation batches carry almost no padding.

    Accuracy, F1 and the confusion matrix do not depend on the order of the rows. On SST-2 dev (872
    rows, batches of 64, default model, CPU) one evaluation took 2.4 s sorted against 4.3 s in file order.
    """
    if "length" not in getattr(dataset, "column_names", ()) or len(dataset) < 2:
        return dataset
    return dataset.sort("length", reverse=True)


def freeze_word_embeddings(model: Any) -> int:
    """Stop training the token-embedding matrix; returns how many weights were frozen.

    It holds about half of a small encoder's weights (11.7 M of MiniLM's 22.7 M) but each step only
    touches the rows of the tokens in the batch. Freezing it saves the dense gradient, its optimizer
    state and update (11-20% of a CPU step) and keeps words absent from the training data where the
    pre-trained model put them. Position embeddings, layer norms and all layers still train.
    """
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    weight = getattr(embeddings, "weight", None)
    if weight is None or not weight.requires_grad:
        return 0
    weight.requires_grad_(False)
    return int(weight.numel())


def _show_bar() -> bool:
    """A tqdm bar on an interactive terminal; plain progress lines in logs and pipes."""
    return os.environ.get("TUNESCOPE_CHILD") != "1" and sys.stderr.isatty()


def _quiet_progress() -> Any:
    from transformers.trainer_callback import ProgressCallback

    class Quiet(ProgressCallback):
        """The Trainer's progress bar without its raw log dictionaries."""

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            return None

    return Quiet


def stop_requested(run_dir: Path) -> bool:
    """True once the user asked to stop (STOP file) or the process got SIGTERM."""
    return _STOP_SIGNALLED or runs.RunPaths(run_dir).stop_flag.exists()


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _save_outputs(trainer: Any, config: RunConfig, run_dir: Path, tokenizer: Any, val: Any) -> dict[str, Any]:
    from core.card import write_model_card

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
    from core.events import device_lock

    run_dir = Path(run_dir).resolve()
    config = runs.load_config(run_dir)
    main = _is_main_process()
    signal.signal(signal.SIGTERM, _on_sigterm)
    checkpoint = runs.last_checkpoint(run_dir) if resume else None
    if resume and checkpoint is None and (runs.RunPaths(run_dir).model / "config.json").exists():
        raise RunError(f"Run {run_dir.name} has no checkpoint to resume from; start a new run instead.")
    started = time.time()
    try:
        with device_lock(run_dir, config, main, stop_requested):
            if stop_requested(run_dir):
                raise RunError("Stopped before training started.")
            if main:
                runs.write_status(run_dir, "running", message=None, error_kind=None, retry=None)
            tokenizer = load_tokenizer(resolve_source(config.model))
            frames = load_frames(config)
            if pick_device(config.train.device) == "cpu":
                choose_cpu_threads()
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
            report = _save_outputs(trainer, config, run_dir, tokenizer, val)
    except BaseException as exc:
        if main:
            state = "stopped" if isinstance(exc, RunError) and stop_requested(run_dir) else "failed"
            state = "interrupted" if isinstance(exc, KeyboardInterrupt) else state
            message = _failure_message(exc, config)
            fields = {} if state == "stopped" else _error_fields(exc, config)
            runs.append_event(run_dir, {"event": state, "message": message, **fields})
            runs.write_status(run_dir, state, message=message, **fields)
        raise
    stopped = stop_requested(run_dir)
    state = "stopped" if stopped else "finished"
    early = not stopped and result.global_step < trainer.state.max_steps
    summary = {
        "run_dir": str(run_dir),
        "state": state,
        "metrics": {k: report[k] for k in ("accuracy", "f1_macro", "eval_loss", "per_class")},
        "train_samples_per_second": result.metrics.get("train_samples_per_second"),
        "train_runtime": result.metrics.get("train_runtime"),
        "global_step": result.global_step,
        "total_steps": trainer.state.max_steps,
        "early_stopped": early,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "best_metric": trainer.state.best_metric,
        "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else 0,
        "device": config.resolved.get("device"),
        "precision": config.resolved.get("precision"),
        "wall_seconds": round(time.time() - started, 2),
    }
    if main:
        runs.RunPaths(run_dir).stop_flag.unlink(missing_ok=True)
        runs.append_event(run_dir, {"event": state, "step": result.global_step, "metrics": summary["metrics"],
                                    **{k: summary[k] for k in ("total_steps", "early_stopped", "best_checkpoint",
                                                               "best_metric", "train_samples_per_second")}})
        runs.write_status(run_dir, state, message="Stopped early: no improvement." if early else None,
                          global_step=result.global_step, total_steps=trainer.state.max_steps)
    return summary


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
