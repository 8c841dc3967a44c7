"""What a recipe hands back when its training ended (finished or stopped): :class:`Trained`.

Every recipe (fine-tuning here, SetFit in ``core.fewshot``) returns one; the job (``core.job.run``) writes
from it the run's final outputs (``model/``, ``metrics.json``, the card), the final event and status, and
the summary. Light on purpose: no torch, no transformers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import RunError


class NonFiniteLossError(RunError):
    """The training loss became NaN or infinite (``error_kind`` ``non_finite_loss``)."""


@dataclass
class Trained:
    """The trained classifier, ready to save, with its final scores and the trainer's counters."""

    model: Any  # a ``transformers`` classifier ready for ``save_pretrained`` (LoRA merged, thresholds set)
    tokenizer: Any
    report: dict[str, Any]  # the final scores on the validation rows: metrics.json and the card
    global_step: int
    total_steps: int
    best_checkpoint: str | None = None
    best_metric: float | None = None
    train_metrics: dict[str, Any] = field(default_factory=dict)  # train_runtime, train_samples_per_second, ...
    validation: tuple[Any, Any] | None = None  # (logits, true ids or 0/1 rows) of the validation rows: calibration

    @classmethod
    def from_trainer(cls, trainer: Any, output: Any, model: Any, tokenizer: Any, report: dict[str, Any],
                     validation: tuple[Any, Any] | None = None) -> Trained:
        """From a ``transformers`` Trainer's state and the ``TrainOutput`` its ``train()`` returned."""
        state = trainer.state
        return cls(model=model, tokenizer=tokenizer, report=report, global_step=int(output.global_step),
                   total_steps=int(state.max_steps), best_checkpoint=state.best_model_checkpoint,
                   best_metric=state.best_metric, train_metrics=dict(output.metrics or {}), validation=validation)
