"""The fine-tune recipe (``recipe="finetune"``): the whole classifier (or its LoRA adapters) trained with the
configured ``transformers`` Trainer, resumable from its checkpoints.

It has the shape of ``core.job.recipe.Recipe`` (without importing it) and is registered in
``core.job.recipes``. Light on purpose: the training itself (``core.training.finetune``, which imports
torch and transformers) is imported only when a run trains.
"""

from __future__ import annotations

from pathlib import Path

from core.config import RunConfig
from core.modelref import ModelRef
from core.training.outcome import Trained


class FineTune:
    """Full fine-tuning, the default recipe: every setting of ``core.config.TrainSettings`` applies."""

    name = "finetune"
    how = "fine-tuned"

    def check(self, config: RunConfig) -> None:
        """Nothing beyond the checks every run gets (device, precision, model, data, max_length)."""

    def train(self, config: RunConfig, run_dir: Path, *, start: ModelRef, checkpoint: Path | None, main: bool) -> Trained:
        """Fine-tune ``start`` for the run in ``run_dir`` (``core.training.finetune.train_finetune``)."""
        from core.training.finetune import train_finetune

        return train_finetune(config, run_dir, start=start, checkpoint=checkpoint, main=main)


FINETUNE = FineTune()
