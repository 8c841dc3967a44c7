"""``TrainingArguments`` for a run: schedule (steps, evaluations, checkpoints), device, precision and
class weights (per-label positive weights for multi-label data), and the optional export of metrics to
TensorBoard, MLflow or Trackio (``tracking``, written outside the run folder), with what was resolved
recorded in ``config.resolved``.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.config import RunConfig
from core.devices import pick_device, pick_precision
from core.training.length import AUTO, auto_plan
from core.training.threads import torch_threads

MIN_POSITIVE_WEIGHT, MAX_POSITIVE_WEIGHT = 1.0, 10.0


def class_weights(label_ids: list[int], n_labels: int, mode: str) -> list[float] | None:
    """Inverse-frequency weights (mean 1) when mode is 'on', or 'auto' and the largest class is 3x the smallest."""
    counts = np.bincount(np.asarray(label_ids), minlength=n_labels).astype(float)
    if mode == "off" or counts.min() == 0:
        return None
    if mode == "auto" and counts.max() / counts.min() < 3:
        return None
    weights = counts.sum() / (n_labels * counts)
    return [float(w) for w in weights / weights.mean()]


def positive_weights(label_rows: list[list[float]], n_labels: int, mode: str) -> list[float] | None:
    """Per-label positive weights for multi-label BCE: sqrt(negatives / positives), between 1 and 10.

    Used when mode is 'on', or 'auto' and the most frequent label has 3x the positives of the rarest (the
    single-label rule). The square root and the cap keep rare labels from swamping precision; the decision
    thresholds tuned on the validation set at the end settle the balance. A label without positives gets 1.
    """
    y = np.asarray(label_rows, dtype=float).reshape(-1, n_labels)
    positives = y.sum(axis=0)
    if mode == "off" or len(y) == 0:
        return None
    if mode == "auto" and positives.max() < 3 * max(positives.min(), 1):
        return None
    ratio = (len(y) - positives) / np.maximum(positives, 1)
    weights = np.where(positives > 0, np.clip(np.sqrt(ratio), MIN_POSITIVE_WEIGHT, MAX_POSITIVE_WEIGHT), 1.0)
    return [float(w) for w in weights]


def _schedule(config: RunConfig, n_train: int, world: int) -> dict[str, Any]:
    """Steps, logging, evaluation and checkpoint cadence; an auto length (``core.training.length``) also gives
    the ceiling of epochs, the patience and the plan sentence (recorded in ``config.resolved``)."""
    t = config.train
    per_step = t.batch_size * t.gradient_accumulation_steps * world
    plan = None
    if t.epochs == AUTO and not t.max_steps:  # max_steps overrides any length
        plan = auto_plan(n_train, len(config.labels), per_step, t.metric_for_best_model, t.eval_steps,
                         t.early_stopping_patience, student=bool(config.distil))
        config.resolved.update(plan.resolved())
    epochs = plan.max_epochs if plan else 1.0 if t.epochs == AUTO else float(t.epochs)  # auto under max_steps: unused
    total = t.max_steps or max(1, math.ceil(epochs * math.ceil(n_train / per_step)))
    logging = t.logging_steps or max(1, min(25, total // 60))
    evaluation = t.eval_steps or (plan.eval_steps if plan else max(logging, math.ceil(total / 4)))
    if t.epochs == AUTO:  # how long the run may be, in epochs (dropout 'auto' decides on it)
        config.resolved["max_epochs"] = round(total / math.ceil(n_train / per_step), 3)
    return {"total": total, "logging": logging, "eval": evaluation, "save": t.save_steps or evaluation,
            "epochs": epochs}


def build_arguments(config: RunConfig, run_dir: Path, n_train: int) -> Any:
    """``TrainingArguments`` for this run; resolves device, precision and schedule into ``config.resolved``.

    Creating them also sets up torch.distributed under ``torchrun``/``accelerate launch``.
    """
    from transformers import TrainingArguments

    t = config.train
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = pick_device(t.device)
    precision = pick_precision(device, t.precision)
    config.resolved.pop("length_plan", None)  # a fixed length has none (an auto one sets it again)
    schedule = _schedule(config, n_train, world)
    config.resolved.update(device=device, precision=precision, world_size=world, total_steps=schedule["total"],
                           eval_steps=schedule["eval"], save_steps=schedule["save"], logging_steps=schedule["logging"],
                           effective_batch_size=t.batch_size * t.gradient_accumulation_steps * world,
                           torch_threads=torch_threads())
    metric = t.metric_for_best_model
    return one_device_per_process(world, TrainingArguments(
        output_dir=str(runs.RunPaths(run_dir).checkpoints),
        num_train_epochs=schedule["epochs"],
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
        report_to=report_to(config, run_dir),
        run_name=Path(run_dir).name,
        project=TRACKING_PROJECT,
        disable_tqdm=not show_bar(),
        dataloader_num_workers=0,
    ))


def one_device_per_process(world: int, args: Any) -> Any:
    """A single training process uses one GPU even where it sees several (``python -m core train`` on a machine
    of 8): the Trainer would wrap the model in ``DataParallel``, while the schedule, the samples/s and the device
    lock count one device. Several devices are several processes (``gpus``: torchrun)."""
    if world == 1 and args.device.type == "cuda":
        args._n_gpu = 1  # read once above (the device is set up), so the Trainer's n_gpu stays 1
    return args


def show_bar() -> bool:
    """A tqdm bar on an interactive terminal; plain progress lines in logs and pipes."""
    return os.environ.get("TUNESCOPE_CHILD") != "1" and sys.stderr.isatty()


TRACKING_PROJECT = "tunescope"  # the MLflow experiment and Trackio project every run is logged under


def tracking_dir(run_dir: Path) -> Path:
    """Where a tracker writes for this run: $TUNESCOPE_TRACKING_DIR/<run id>, else ../tracking/<run id> beside
    the runs folder (never inside the run folder, whose files are a fixed contract)."""
    base = os.environ.get("TUNESCOPE_TRACKING_DIR")
    root = Path(base).expanduser() if base else Path(run_dir).resolve().parent.parent / "tracking"
    return root / Path(run_dir).name


def report_to(config: RunConfig, run_dir: Path) -> str:
    """The Trainer's ``report_to`` for the run's ``tracking`` setting, pointing the tracker outside the run folder.

    TensorBoard writes event files to :func:`tracking_dir`; MLflow logs to $MLFLOW_TRACKING_URI, else to a
    file store in ``<tracking folder>/mlruns``, experiment ``tunescope``; Trackio to its own local store,
    project ``tunescope``. Each run is named by its run id. The integrations read these variables when
    the Trainer is built, in this training process only.
    """
    tracker = config.train.tracking
    if tracker == "none":
        return "none"
    folder = tracking_dir(run_dir)
    if tracker == "tensorboard":
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(folder)
        where = str(folder)
    elif tracker == "mlflow":
        os.environ.setdefault("MLFLOW_TRACKING_URI", (folder.parent / "mlruns").as_uri())
        os.environ.setdefault("MLFLOW_EXPERIMENT_NAME", TRACKING_PROJECT)
        where = os.environ["MLFLOW_TRACKING_URI"]
    else:
        where = f"Trackio project {TRACKING_PROJECT}"
    config.resolved["tracking"] = {"tracker": tracker, "where": where, "run_name": Path(run_dir).name}
    return tracker
