"""The configured ``transformers.Trainer`` for a run: model (dropout, frozen embeddings, LoRA),
class-weighted loss, shuffled length-grouped batches, callbacks and progress display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import Trainer

from core.config import RunConfig
from core.models import load_classifier, resolve_source
from core.training.arguments import build_arguments, class_weights, show_bar
from core.training.metrics import trainer_metrics


class WeightedTrainer(Trainer):
    """``Trainer`` whose cross-entropy can weight classes (for imbalanced data)."""

    def __init__(self, *args: Any, class_weights: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights

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
        return ShuffledLengthGroupedSampler(lengths, per_step)

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        """The Trainer's checkpoint save; a failed write (a full disk) names the checkpoint it left half-written."""
        from core.training.saving import SaveFailed

        try:
            super()._save_checkpoint(model, trial)
        except OSError as exc:
            raise SaveFailed(f"checkpoint-{self.state.global_step}", exc) from exc

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        if self.class_weights is None:
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)
        import torch.nn.functional as F

        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        loss = F.cross_entropy(logits, labels, weight=self.class_weights.to(logits.device))
        return (loss, outputs) if return_outputs else loss


def build_trainer(config: RunConfig, run_dir: Path, tokenizer: Any, train: Any, val: Any, args: Any = None) -> Any:
    """The configured ``Trainer`` (model, arguments, callbacks) for this run."""
    import torch
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, set_seed

    from core.training.callback import EventCallback
    from core.training.stopping import stop_requested

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
    if show_bar():
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


def _quiet_progress() -> Any:
    from transformers.trainer_callback import ProgressCallback

    class Quiet(ProgressCallback):
        """The Trainer's progress bar without its raw log dictionaries."""

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            return None

    return Quiet
