"""Command-line flags for every run setting, and the command that reproduces a configuration.

Both are derived from the declarations in ``core.config``: ``add_setting_flags`` adds one flag per
field (``--batch-size``, or the field's own ``flag``) with the generic ``core.cli.flags.add_flags``,
``config_from_args`` turns parsed flags back into a :class:`RunConfig`, and ``train_command`` writes the
``python -m core train ...`` line that ``config_from_args`` parses into the same configuration (tested
as a round trip over every setting).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from core.cli.flags import add_flags, flag_of, values_from
from core.config import DataSettings, RunConfig, TrainSettings
from core.settings import base_type, specs

ALWAYS_SHOWN = ("epochs", "batch_size", "learning_rate", "max_length", "seed")


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per declared run setting except the training file (the command's positional ``data``)."""
    add_flags(parser, DataSettings, skip=("train_file",))
    add_flags(parser, TrainSettings)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run configuration from parsed ``train`` (or ``sweep``) flags; omitted flags keep their defaults."""
    with_file = argparse.Namespace(**vars(args), train_file=args.data)  # the positional data is the training file
    data = DataSettings(**values_from(with_file, DataSettings, run_settings=True))
    train = TrainSettings(**values_from(args, TrainSettings, run_settings=True))
    return RunConfig(model=args.model, data=data, train=train)


def _value_text(value: Any) -> str:
    """Short text for a value that parses back to exactly the same value ('5e-05', '1', '0.123456789')."""
    if isinstance(value, float):
        short = f"{value:g}"  # 6 significant digits: exact for typical values, lossy for e.g. 1.2345678e-05
        return short if float(short) == value else repr(value)
    return str(value)


def setting_args(settings: Any, always: tuple[str, ...] = ()) -> list[str]:
    """Flags for the settings that differ from their defaults (and for the ``always`` ones)."""
    parts: list[str] = []
    for item, spec in specs(type(settings)):
        value = getattr(settings, item.name)
        if item.name == "train_file" or (value == item.default and item.name not in always):
            continue
        if base_type(item) == "bool":
            parts.append(flag_of(item, spec))  # a bool differs from its default: the flag flips it
        elif value is None:
            continue
        else:
            parts += [flag_of(item, spec), _value_text(value)]
    return parts


def train_command(config: RunConfig, program: str = "python -m core") -> str:
    """The headless ``train`` command that builds ``config`` again (shell-quoted); for a distilled student, the
    ``compress`` command that made it."""
    if config.distil:
        parts = [*program.split(), "compress", str(config.distil.get("teacher")), "--method", "distil", "--layers",
                 str(config.distil.get("layers")), "--epochs", str(config.train.epochs)]
        return " ".join(shlex.quote(p) for p in parts)
    parts = [*program.split(), "train", config.data.train_file, "--model", str(config.model)]
    parts += setting_args(config.data) + setting_args(config.train, ALWAYS_SHOWN)
    return " ".join(shlex.quote(p) for p in parts)
