"""Command-line flags for every run setting, and the command that reproduces a configuration.

Both are derived from the declarations in ``core.config``: ``add_setting_flags`` adds one flag per
field (``--batch-size``, or the field's own ``flag``), ``config_from_args`` turns parsed flags back into
a :class:`RunConfig`, and ``train_command`` writes the ``python -m core train ...`` line that
``config_from_args`` parses into the same configuration (tested as a round trip over every setting).
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from typing import Any

from core.config import DataSettings, RunConfig, TrainSettings
from core.settings import Spec, base_type, convert, specs

ALWAYS_SHOWN = ("epochs", "batch_size", "learning_rate", "max_length", "seed")


def flag_of(item: dataclasses.Field, spec: Spec) -> str:
    """The field's command-line flag: its own, or ``--field-name``."""
    return spec.negated_flag or spec.flag or "--" + item.name.replace("_", "-")


def _settings_classes() -> tuple[type, ...]:
    return DataSettings, TrainSettings


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per declared setting except the training file (the positional ``data``)."""
    for cls in _settings_classes():
        for item, spec in specs(cls):
            if item.name == "train_file":
                continue
            flag, kind = flag_of(item, spec), base_type(item)
            if kind == "bool":
                action = "store_false" if spec.negated_flag else "store_true"
                parser.add_argument(flag, dest=item.name, action=action, default=item.default, help=spec.help)
                continue
            choices = spec.choices if kind in ("str",) and spec.choices else None
            parser.add_argument(flag, dest=item.name, default=None, choices=choices, metavar=spec.metavar,
                                help=f"{spec.help} (default: {_default_text(item, spec)})")


def _default_text(item: dataclasses.Field, spec: Spec) -> str:
    if item.default is None:
        return "off" if spec.optional else "none"
    return f"{item.default:g}" if isinstance(item.default, float) else str(item.default)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run configuration from parsed ``train`` flags; omitted flags keep their defaults."""
    parts: dict[type, dict[str, Any]] = {}
    for cls in _settings_classes():
        values: dict[str, Any] = {}
        for item, spec in specs(cls):
            raw = args.data if item.name == "train_file" else getattr(args, item.name, None)
            if base_type(item) == "bool" or raw is not None:
                values[item.name] = raw if base_type(item) == "bool" else convert(item, spec, raw)
        parts[cls] = values
    return RunConfig(model=args.model, data=DataSettings(**parts[DataSettings]), train=TrainSettings(**parts[TrainSettings]))


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
    """The headless ``train`` command that builds ``config`` again (shell-quoted)."""
    parts = [*program.split(), "train", config.data.train_file, "--model", str(config.model)]
    parts += setting_args(config.data) + setting_args(config.train, ALWAYS_SHOWN)
    return " ".join(shlex.quote(p) for p in parts)
