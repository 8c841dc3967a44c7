"""The one protocol every training recipe implements: check a configuration, and train a run folder.

A recipe is the part of a run that differs between ways of making a classifier: today full fine-tuning
(``core.training.recipe.FINETUNE``) and SetFit (``core.fewshot.recipe.SETFIT``); later compression or
distillation. Everything around it is the job's (``core.job.run``): the device lock, status and events,
the optional pre-training stage, the final outputs (``model/``, ``config.json``, ``metrics.json``, the
card), the final event and status, and the similar-examples index. Recipes live in lower packages and
never import this module: they match it by shape, and ``core.job.recipes`` registers them by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from core.config import RunConfig
from core.modelref import ModelRef
from core.training.outcome import Trained


@runtime_checkable
class Recipe(Protocol):
    """One way of training a run's classifier, chosen by the ``recipe`` setting (``config.train.recipe``)."""

    name: str  # the value of the ``recipe`` setting that chooses it
    how: str  # how the model was made, for the model card's first sentence ("fine-tuned")

    def check(self, config: RunConfig) -> None:
        """Refuse settings this recipe cannot train with: a typed error (``ConfigError``...) whose one sentence
        says what to change. Cheap (no weights, no training rows): preflight calls it before a run folder or a
        training process exists."""

    def train(self, config: RunConfig, run_dir: Path, *, start: ModelRef, checkpoint: Path | None, main: bool) -> Trained:
        """Train the run in ``run_dir`` and return the trained classifier with its final report and counters.

        ``start`` is the model reference to start from (``config.model``, or the weights the pre-training stage
        adapted); ``checkpoint`` the intact checkpoint to resume from (None: a fresh start); ``main`` is true in
        the one process that writes to the folder (rank 0 under torchrun). The recipe writes its events and, once
        resolved, ``config.json``; it raises to fail the run (the job records how) and honours stop requests by
        returning early. The job saves what it returns."""
