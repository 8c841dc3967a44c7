"""The few-shot (SetFit) recipe (``recipe="setfit"``): when it applies, the settings it refuses, and its entry.

:data:`SETFIT` has the shape of ``core.job.recipe.Recipe`` (without importing it) and is registered in
``core.job.recipes``: preflight (``core.job.preflight``) calls its :meth:`SetFit.check` before a run folder
exists, and the training child its :meth:`SetFit.train`. The app shows :func:`advice` beside the data
report. Light on purpose (no torch, no setfit import): training is ``core.fewshot.train``.
"""

from __future__ import annotations

import importlib.util
import statistics
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.errors import ConfigError
from core.modelref import ModelRef
from core.training.outcome import Trained

# Rows per class up to which the few-shot route is recommended. bench/bench_fewshot.py (default model, two
# seeds, 200 dev rows): SST-2 at 8/16/32 rows per class 0.673/0.713/0.750 against full fine-tuning's
# 0.598/0.663/0.688; SST-5 0.268/0.273/0.305 against 0.223/0.273/0.283 (never lower in 12 runs; 3-10x the time).
FEW_ROWS_PER_CLASS = 32
SETFIT_PIP = "pip install \"setfit>=1.1\" (a TuneScope dependency: reinstall with pip install -e .)"


# one template (a UI shows it in another language by matching it whole, the two counts carried over)
ADVICE = ("Only about {0} labelled rows per class (fewest {1}): the few-shot recipe (Recipe: setfit) usually scores "
          "higher than full fine-tuning with this little data, because it learns from pairs of rows (same label or "
          "not) before fitting a small classifier on top. It takes longer (minutes rather than seconds on a CPU).")


def advice(data: Any) -> str | None:
    """A sentence recommending the few-shot recipe when the data has few labelled rows per class, else None.

    ``data`` is a ``LabelledData``, its ``DataReport`` or that report as a dict (``labels``: rows per label).
    None as well for several labels per row or a second text column (the recipe trains on single texts
    with one label each).
    """
    report = getattr(data, "report", data)
    field = report.get if isinstance(report, dict) else lambda name, default=None: getattr(report, name, default)
    counts = dict(field("labels", None) or {})
    if field("multi_label", False) or field("text_pair_column", None) or len(counts) < 2:
        return None
    typical, fewest = int(statistics.median(counts.values())), int(min(counts.values()))
    if typical > FEW_ROWS_PER_CLASS:
        return None
    return ADVICE.format(typical, fewest)


def setfit_installed() -> bool:
    return importlib.util.find_spec("setfit") is not None


class SetFit:
    """SetFit: contrastive training of a sentence-embedding body, then a logistic-regression head, saved as a
    standard classifier. No checkpoints: a stopped run keeps the body trained so far."""

    name = "setfit"
    how = ("trained with the few-shot SetFit recipe (a contrastively tuned sentence-embedding body, a mean-pooling "
           "layer and a logistic-regression head)")

    def check(self, config: RunConfig) -> None:
        """Refuse settings the setfit recipe cannot train with (a :class:`ConfigError` saying what to change)."""
        if not setfit_installed():
            raise ConfigError(f"The setfit recipe needs the setfit library: {SETFIT_PIP}.")
        if config.train.lora:
            raise ConfigError("The setfit recipe trains the whole (small) body: turn LoRA off or choose recipe "
                              "finetune.")
        if config.data.text_pair_column:
            raise ConfigError("The setfit recipe classifies single texts: remove the second text column or choose "
                              "recipe finetune for sentence pairs.")
        if config.train.pretrain != "off":
            raise ConfigError("The setfit recipe starts from the sentence-embedding body as it is: turn "
                              "pre-training off or choose recipe finetune.")
        if config.train.gpus > 1:
            raise ConfigError("The setfit recipe trains on one device: set --gpus 1 (devices at once: 1) or choose "
                              "recipe finetune.")
        if config.data.multi_label == "yes":
            raise ConfigError("The setfit recipe trains single-label classifiers: choose recipe finetune for "
                              "multi-label data.")

    def train(self, config: RunConfig, run_dir: Path, *, start: ModelRef, checkpoint: Path | None, main: bool) -> Trained:
        """Train the run in ``run_dir`` from ``start`` (``core.fewshot.train.train_fewshot``); ``checkpoint`` is
        ignored (a few-shot run has none: a relaunch trains again)."""
        from core.fewshot.train import train_fewshot

        return train_fewshot(config, run_dir, start=start, main=main)


SETFIT = SetFit()
