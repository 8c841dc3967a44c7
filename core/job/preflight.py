"""Refuse a run that would fail, before its folder or training process exists.

``core.job.create_run`` (the UI's *Start training*, the CLI's ``train``, a sweep's trials, a retrain on
corrected data) and a sweep's ``prepare_sweep`` call :func:`check_settings` before reading the data and
:func:`check_model_and_data` after it: a device this machine lacks, a precision it cannot train in, a
model that cannot be resolved or loaded (its configuration and tokenizer only: no weights are read),
pickle-only weights without the admin's opt-in, validation labels the training data lacks, a
``max_length`` beyond the model's positions, a metrics tracker that is not installed, a pre-training
stage that cannot run (``core.pretrain.checks``), training text the model cannot read
(``core.data.readable``: refused unless the run's ``allow_unreadable`` confirms it; the measure is kept in
``resolved["readability"]``), and what the chosen recipe refuses (its ``check``, found in the registry
``core.job.recipes``). Each refusal is one :class:`ConfigError` /
:class:`ModelError` / :class:`DataError` sentence.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.data import Columns, load_labelled
from core.data.readable import readability, unreadable_sentence
from core.devices import pick_device, pick_precision
from core.errors import ConfigError
from core.job.recipes import recipe_for
from core.models import check_weights, load_model_config, load_tokenizer
from core.pretrain.checks import check_pretrain
from core.runs.jobs import on_cluster


def check_settings(config: RunConfig) -> str:
    """The device the run will train on; a :class:`ModelError` for a device or precision this machine lacks (with a
    cluster runner the nodes' devices count, not this machine's: the training process checks them there)."""
    if on_cluster():
        device = config.train.device
    else:
        device = pick_device(config.train.device)
        pick_precision(device, config.train.precision)
    check_tracking(config.train.tracking)
    recipe_for(config).check(config)
    return device


TRACKER_PACKAGES = {"tensorboard": "tensorboard", "mlflow": "mlflow", "trackio": "trackio"}


def check_tracking(tracker: str) -> None:
    """A :class:`ConfigError` naming the pip command when the chosen metrics tracker is not installed."""
    package = TRACKER_PACKAGES.get(tracker)
    if package and importlib.util.find_spec(package) is None:
        raise ConfigError(f"tracking is '{tracker}' but {package} is not installed: run `pip install {package}` "
                          "(or choose tracking none).")


def max_input_length(model_config: Any, tokenizer: Any = None) -> int | None:
    """The most tokens the model can read: its position embeddings (less RoBERTa's padding offset), capped
    by the tokenizer's own limit when it sets one."""
    positions = getattr(model_config, "max_position_embeddings", None) or getattr(model_config, "n_positions", None)
    if isinstance(positions, int) and "roberta" in str(getattr(model_config, "model_type", "")):
        positions -= int(getattr(model_config, "pad_token_id", None) or 0) + 1  # positions start after the pad index
    limit = getattr(tokenizer, "model_max_length", None)
    limits = [v for v in (positions, limit) if isinstance(v, int) and 0 < v < 100_000]
    return min(limits) if limits else None


def check_model(config: RunConfig, texts: list[str] | None = None) -> int | None:
    """Resolve and cheaply load the base model (configuration, weight files, tokenizer); returns its input limit.
    With the training ``texts``, also whether the model can read them (:func:`check_readable`)."""
    source = config.model.resolve()
    model_config = load_model_config(source)
    check_weights(source)
    tokenizer = load_tokenizer(source)
    if texts is not None:
        check_readable(config, texts, tokenizer, source.display)
    limit = max_input_length(model_config, tokenizer)
    if limit and config.train.max_length > limit:
        raise ConfigError(f"max_length {config.train.max_length} is more than {source.display} can read "
                          f"({limit} tokens): choose a max_length of {limit} or less.")
    return limit


READ_FIELDS = ("model", "byte_level", "sampled_rows", "unknown_share", "unknown_char_share", "scripts",
               "unreadable_scripts", "threshold", "unreadable")  # what resolved["readability"] keeps


def check_readable(config: RunConfig, texts: list[str], tokenizer: Any, model: str) -> dict[str, Any]:
    """How well the model reads the training texts (kept in ``config.resolved["readability"]``); a
    :class:`ConfigError` when it cannot and the run's ``allow_unreadable`` does not confirm training anyway."""
    found = readability(texts, tokenizer, model)
    config.resolved["readability"] = {**{k: found[k] for k in READ_FIELDS}, "allowed": config.train.allow_unreadable}
    if found["unreadable"] and not config.train.allow_unreadable:  # the data check's sentence, and the way past it
        raise ConfigError(unreadable_sentence(found).removesuffix(".") + ", or confirm with allow_unreadable "
                          "(--allow-unreadable; in the Train tab, 'Train even if the model cannot read the text') to "
                          "train anyway.")
    return found


def check_validation_labels(config: RunConfig, labels: list[str]) -> None:
    """A validation file must read with the training file's columns and use only the training labels."""
    if not config.data.val_file:
        return
    data = config.data
    # read as the training file was read (create_run fixed 'auto' to what it found)
    mode = data.multi_label if data.multi_label in ("yes", "no") else "auto"
    val = load_labelled(data.val_file, replace(Columns.of(data), multi_label=mode))
    unknown = sorted(set(val.labels) - set(labels))
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ConfigError(f"The validation file {Path(data.val_file).name} has labels the training data lacks "
                          f"({shown}): use the same label names in both files.")


def check_model_and_data(config: RunConfig, labels: list[str], texts: list[str] | None = None) -> None:
    """Everything :func:`check_settings` leaves for after the training data is read (``texts``: the training
    texts, whose readability is checked when given)."""
    check_validation_labels(config, labels)
    check_model(config, texts)
    check_pretrain(config)  # a pre-training stage needs readable text and a model with a language-model form
