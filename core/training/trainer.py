"""The configured ``transformers.Trainer`` for a run: model (dropout, frozen embeddings, LoRA),
class-weighted loss (sigmoid and binary cross-entropy with per-label positive weights for multi-label
data), shuffled length-grouped batches, callbacks and progress display. The training forward passes
also record every train row's probabilities (``core.training.dynamics``): the train table's ``row``
column travels through the collator beside the model inputs and is popped in :meth:`compute_loss`.
The trainer keeps its event callback as ``events`` (its stop and non-finite-loss flags are read after training).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import Trainer

from core.config import RunConfig
from core.modelref import ModelRef
from core.models import QUANTIZATION_KEY, load_classifier, load_model_config
from core.training import stopping
from core.training.arguments import build_arguments, class_weights, positive_weights, show_bar
from core.training.callback import EventCallback
from core.training.datasets import ROW
from core.training.distil import distillation_loss, load_teacher, shrink
from core.training.dynamics import TrainingDynamics
from core.training.engine import EnginePhases
from core.training.length import AUTO, TimeBudget
from core.training.metrics import trainer_metrics
from core.training.saving import SaveFailed


class RowCollator:
    """Pads a batch like ``DataCollatorWithPadding`` and carries each row's position (``row``) beside it."""

    def __init__(self, padding: Any) -> None:
        self.padding = padding

    def __call__(self, features: list[dict[str, Any]]) -> Any:
        import torch

        rows = [f[ROW] for f in features if ROW in f]
        batch = self.padding([{k: v for k, v in f.items() if k != ROW} for f in features])
        if rows and len(rows) == len(features):
            batch[ROW] = torch.tensor(rows, dtype=torch.long)
        return batch


class WeightedTrainer(EnginePhases, Trainer):
    """``Trainer`` whose loss can weight classes (or, multi-label, positives per label) and records dynamics.

    ``events`` (an :class:`EventCallback`, the first callback) writes the run's events; it stays reachable
    as ``trainer.events``. ``recorder`` (a :class:`TrainingDynamics`) receives each training batch's
    probabilities, taken from the forward pass that computes the loss.
    """

    def __init__(self, *args: Any, events: EventCallback | None = None, class_weights: Any = None,
                 multi_label: bool = False, recorder: TrainingDynamics | None = None, teacher: Any = None,
                 **kwargs: Any) -> None:
        if events is not None:
            kwargs["callbacks"] = [events, *(kwargs.get("callbacks") or [])]
        super().__init__(*args, **kwargs)
        # transformers 5 takes a model whose forward has **kwargs for one that scales its own loss by the tokens of
        # the whole accumulated batch, and then skips dividing by the accumulation steps (and multiplies by the
        # process count under DDP). A classifier's loss is a per-batch mean either way: have the Trainer divide it,
        # so accumulation (the out-of-memory retry doubles it) keeps the loss, the gradients and their clipping.
        self.model_accepts_loss_kwargs = False
        self.events = events
        self.class_weights = class_weights  # per-label positive weights when multi_label
        self.multi_label = multi_label
        self.recorder = recorder
        self.teacher = teacher  # a distillation run's teacher (core.training.distil)

    def _set_signature_columns_if_needed(self) -> None:
        """Keep the ``row`` column when unused columns are dropped (``compute_loss`` pops it before the model)."""
        super()._set_signature_columns_if_needed()
        if ROW not in self._signature_columns:
            self._signature_columns.append(ROW)

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        """Length-grouped batches in shuffled order (``core.training.sampler``) instead of long-to-short runs."""
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy != "group_by_length" or not hasattr(dataset, "column_names"):
            return super()._get_train_sampler(train_dataset)
        from core.training.sampler import ShuffledLengthGroupedSampler

        # the Trainer drops columns the model does not take (our "length") before asking for a sampler
        column = self.args.length_column_name
        full = self.train_dataset
        if column in getattr(full, "column_names", ()) and len(full) == len(dataset):
            lengths = full[column]
        else:
            lengths = [len(ids) for ids in dataset["input_ids"]]
        per_step = self.args.train_batch_size * self.args.gradient_accumulation_steps
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return ShuffledLengthGroupedSampler(lengths, per_step, seed=seed)

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        """The Trainer's checkpoint save; a failed write (a full disk) names the checkpoint it left half-written."""
        try:
            super()._save_checkpoint(model, trial)
        except OSError as exc:
            raise SaveFailed(f"checkpoint-{self.state.global_step}", exc) from exc

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        rows = inputs.pop(ROW, None)
        if self.teacher is not None:
            loss, outputs = self._distilled_loss(model, inputs)
        elif self.class_weights is None and not self.multi_label:
            loss, outputs = super().compute_loss(model, inputs, return_outputs=True,
                                                 num_items_in_batch=num_items_in_batch)
        else:
            loss, outputs = self._weighted_loss(model, inputs)
        if rows is not None and self.recorder is not None and model.training:
            self._record(rows, outputs.logits)
        return (loss, outputs) if return_outputs else loss

    def _weighted_loss(self, model: Any, inputs: dict[str, Any]) -> tuple[Any, Any]:
        import torch.nn.functional as F

        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        if self.class_weights is not None and self.class_weights.device != logits.device:
            self.class_weights = self.class_weights.to(logits.device)  # once, not a host-to-device copy every step
        weight = self.class_weights
        if self.multi_label:  # summed over labels, averaged over rows: a row weighs as much as in cross-entropy
            loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype), pos_weight=weight,
                                                      reduction="none").sum(dim=-1).mean()
        else:
            loss = F.cross_entropy(logits, labels, weight=weight)
        return loss, outputs

    def _distilled_loss(self, model: Any, inputs: dict[str, Any]) -> tuple[Any, Any]:
        import torch

        hard, outputs = self._weighted_loss(model, dict(inputs))
        if next(self.teacher.parameters()).device != outputs.logits.device:
            self.teacher.to(outputs.logits.device)  # once, where the student trains
        with torch.no_grad():
            teacher = self.teacher(**{k: v for k, v in inputs.items() if k != "labels"}).logits
        return distillation_loss(outputs.logits, teacher, hard, self.multi_label), outputs

    def _record(self, rows: Any, logits: Any) -> None:
        """Hand the batch's probabilities (the detached logits' softmax or sigmoid, still on the device: the recorder
        copies many batches to the host at once) to the recorder."""
        import torch

        logits = logits.detach().float()
        probabilities = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
        self.recorder.add(rows.detach(), probabilities, float(self.state.epoch or 0.0))


def build_trainer(config: RunConfig, run_dir: Path, tokenizer: Any, train: Any, val: Any, args: Any = None) -> Any:
    """The configured ``Trainer`` (model, arguments, callbacks) for this run."""
    import torch
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback

    t = config.train
    args = args if args is not None else build_arguments(config, run_dir, len(train))
    multi = multi_label_dataset(train)
    weights = _loss_weights(config, train, multi)
    config.resolved.update(train_rows=len(train), val_rows=len(val), lora_rank=t.lora_rank if t.lora else None)
    model = _model(config, tokenizer, multi, label_priors(train["labels"], weights) if multi else None)
    recorder = TrainingDynamics(rows=len(train), labels=len(config.labels), multi_label=multi) \
        if ROW in getattr(train, "column_names", ()) else None
    patience = t.early_stopping_patience or (config.resolved.get("patience") if t.epochs == AUTO and not t.max_steps else None)
    # the stopping rule travels in the started event: the live curves mark it (core.plots.training)
    config.resolved.update(patience=patience, stop_metric=t.metric_for_best_model if patience else None)
    events = EventCallback(run_dir, stopping.stop_requested, info=dict(config.resolved))
    callbacks: list[Any] = [EarlyStoppingCallback(early_stopping_patience=patience)] if patience else []
    if t.time_budget:
        callbacks.append(TimeBudget(t.time_budget, events.emit))
    device = config.resolved.get("device")
    teacher = load_teacher(ModelRef.from_admin(config.distil["teacher"]).resolve(), tokenizer,
                           "eager" if device == "cpu" else None) if config.distil else None
    trainer = WeightedTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        data_collator=RowCollator(DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if device == "cuda" else None)),
        compute_metrics=trainer_metrics,
        events=events,
        callbacks=callbacks,
        class_weights=torch.tensor(weights) if weights else None,
        multi_label=multi,
        recorder=recorder,
        teacher=teacher,
    )
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)  # raw log dicts: our callback prints readable lines instead
    if show_bar():
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(_quiet_progress())
    return trainer


def multi_label_dataset(dataset: Any) -> bool:
    """Whether a tokenized dataset's labels are multi-hot vectors (multi-label data)."""
    return len(dataset) > 0 and isinstance(dataset[0]["labels"], list)


def _loss_weights(config: RunConfig, train: Any, multi: bool) -> list[float] | None:
    """Class weights, or per-label positive weights for multi-label data, recorded in ``config.resolved``."""
    mode, labels = config.train.class_weights, config.labels
    weights = (positive_weights if multi else class_weights)(train["labels"], len(labels), mode)
    named = dict(zip(labels, weights, strict=True)) if weights else None
    config.resolved.update(class_weights=None if multi else named, positive_weights=named if multi else None,
                           class_weights_mode=mode, multi_label=multi)
    return weights


def _model(config: RunConfig, tokenizer: Any, multi: bool, priors: Any = None) -> Any:
    """The classifier to train: seeded new head, dropout, frozen embeddings and LoRA as configured.

    A new multi-label head starts from the labels' training priors (:func:`start_at_priors`)."""
    import torch
    from transformers import set_seed

    t = config.train
    source = config.model.resolve()
    new_head = model_labels_differ(source, config.labels, multi)
    set_seed(t.seed)  # the new classification head's initial weights depend on the seed too
    dropout = t.resolved_dropout(config.resolved.get("max_epochs") if t.epochs == AUTO else None)
    # on a CPU the plain attention kernels beat SDPA's for these short sequences (bench/README.md)
    attention = "eager" if config.resolved.get("device") == "cpu" else None
    # fp32 master weights whatever the checkpoint's dtype: bf16/fp16 come only from autocast while training
    model = load_classifier(source, config.labels, tokenizer=tokenizer, dropout=dropout,
                            attn_implementation=attention, multi_label=multi, dtype=torch.float32)
    model.config.__dict__.pop(QUANTIZATION_KEY, None)  # trained from an 8-bit run's float weights: a float model
    if priors is not None and new_head:
        start_at_priors(model, priors, len(config.labels))
    if config.distil:  # a student: the teacher's own model with fewer layers (core.training.distil)
        config.resolved["student_layers_kept"] = shrink(model, int(config.distil["layers"]))
    frozen = freeze_word_embeddings(model) if t.freeze_embeddings and not t.lora else 0
    config.resolved.update(dropout="model" if dropout is None else dropout, frozen_embedding_weights=frozen,
                           attention=attention or "default")
    if t.lora:
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=t.lora_rank,
                                                 lora_alpha=2 * t.lora_rank, lora_dropout=0.1))
    return model


def label_priors(label_rows: Any, weights: list[float] | None) -> Any:
    """Each label's share of positive rows, as the (positive-weighted) loss sees it."""
    import numpy as np

    y = np.asarray(label_rows, dtype=np.float64)
    share = np.clip(y.mean(axis=0), 1e-3, 1 - 1e-3)
    weight = np.asarray(weights, dtype=np.float64) if weights else np.ones_like(share)
    return weight * share / (weight * share + 1 - share)


def model_labels_differ(source: Any, labels: list[str], multi: bool) -> bool:
    """True when the base model has no multi-label head for exactly these labels (its head will be new)."""
    base = load_model_config(source)
    names = [str((base.id2label or {}).get(i)) for i in range(len(base.id2label or {}))]
    return not multi or names != list(labels) or base.problem_type != "multi_label_classification"


def start_at_priors(model: Any, priors: Any, n_labels: int) -> bool:
    """Set the bias of the head's output layer to the labels' log-odds, so a new sigmoid head starts at each
    label's base rate instead of 0.5 for every label (which took a short run all its steps to unlearn).

    The output layer is the last linear layer with one output per label; heads without a bias are left alone.
    """
    import torch

    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == n_labels]
    if not layers or layers[-1].bias is None:
        return False
    with torch.no_grad():
        layers[-1].bias.copy_(torch.as_tensor(priors / (1 - priors)).log().to(layers[-1].bias.dtype))
    return True


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


def _quiet_progress() -> Any:
    from transformers.trainer_callback import ProgressCallback

    class Quiet(ProgressCallback):
        """The Trainer's progress bar without its raw log dictionaries."""

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            return None

    return Quiet
