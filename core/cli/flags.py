"""Command-line arguments derived from declared settings, and typed values read back from the parsed arguments.

Every argument of every ``python -m core`` command is a field of a settings dataclass (the run settings in
``core.config``, each command's options in ``core.cli.options``): :func:`add_flags` adds one argument per
declared field, named ``--field-name`` (or the spec's own ``flag``), with the declared help, choices,
metavar and default; its type comes from the field's annotation (``core.settings.base_type``): a ``bool``
is a switch (``store_true``, or ``store_false`` for a ``negated_flag``), a ``list`` takes several
values, a ``positional`` spec is a positional argument. Values arrive as typed on the command line
and :func:`values_from` converts and checks them against the declaration, so no command declares a
flag, a default or a range by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Collection
from typing import Any

from core.settings import Spec, base_type, check_value, convert, default_of, has_default, is_list, specs


def flag_of(item: dataclasses.Field, spec: Spec) -> str:
    """The field's command-line flag: its own, or ``--field-name``."""
    return spec.negated_flag or spec.flag or "--" + item.name.replace("_", "-")


def add_flags(parser: Any, cls: type, only: Collection[str] | None = None, skip: Collection[str] = ()) -> None:
    """One argument per declared field of ``cls`` (all, or the ``only`` ones, less the ``skip`` ones).

    ``parser`` is an ``argparse`` parser or one of its (mutually exclusive) groups. Flags other than
    switches default to None, so :func:`values_from` can tell a flag that was not given.
    """
    for item, spec in specs(cls):
        if item.name in skip or (only is not None and item.name not in only):
            continue
        if spec.positional:
            parser.add_argument(item.name, **_positional(item, spec))
        elif base_type(item) == "bool" and not is_list(item):
            action = "store_false" if spec.negated_flag else "store_true"
            parser.add_argument(flag_of(item, spec), dest=item.name, action=action, default=item.default,
                                help=spec.help)
        else:
            parser.add_argument(flag_of(item, spec), dest=item.name, default=None, **_options(item, spec))


def _choices(item: dataclasses.Field, spec: Spec) -> dict[str, Any]:
    """argparse's ``choices`` for a text setting with declared choices (others are checked after parsing)."""
    return {"choices": spec.choices} if spec.choices and base_type(item) == "str" else {}


def _positional(item: dataclasses.Field, spec: Spec) -> dict[str, Any]:
    options: dict[str, Any] = {"help": spec.help or None, "metavar": spec.metavar, **_choices(item, spec)}
    if is_list(item):
        options["nargs"] = "*" if has_default(item) else "+"
    elif has_default(item):
        options.update(nargs="?", default=None)
    return options


def _options(item: dataclasses.Field, spec: Spec) -> dict[str, Any]:
    options: dict[str, Any] = {"help": _help(item, spec), "metavar": spec.metavar, **_choices(item, spec)}
    if is_list(item):
        options.update(nargs="+", action="extend" if spec.repeatable else "store")
    return options


def _help(item: dataclasses.Field, spec: Spec) -> str:
    """The help text, with the default unless the text already gives it or there is none to give."""
    default = default_of(item)
    if "default:" in spec.help or is_list(item) or (default is None and not spec.optional):
        return spec.help
    return f"{spec.help} (default: {default_text(default)})"


def default_text(value: Any) -> str:
    """A default as a help text shows it: 'off' for None, 5e-05 rather than 5.0000000000000002e-05."""
    if value is None:
        return "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def values_from(args: argparse.Namespace, cls: type, run_settings: bool = False) -> dict[str, Any]:
    """The given values of ``cls``'s declared fields from parsed ``args``, typed; fields not given are left out.

    Command options are checked against their declaration here, and messages name the flag the user typed
    (``--max-rows must be at least 1 (got 0).``); their text stays as typed. ``run_settings`` (the
    ``core.config`` classes) are converted as the Train form converts them and named by the setting
    (``batch_size must be a whole number``); the configuration's ``validate`` checks them.
    """
    values: dict[str, Any] = {}
    for item, spec in specs(cls):
        raw = getattr(args, item.name, None)
        if raw is None:
            continue
        if run_settings:
            values[item.name] = raw if base_type(item) == "bool" else convert(item, spec, raw)
            continue
        name = (spec.metavar or item.name.upper()) if spec.positional else flag_of(item, spec)
        values[item.name] = _typed(item, spec, raw, name)
        for value in values[item.name] if is_list(item) else [values[item.name]]:
            check_value(item, spec, value, name)
    return values


def _typed(item: dataclasses.Field, spec: Spec, raw: Any, name: str) -> Any:
    if base_type(item) in ("str", "bool"):  # texts stay as typed (argparse checked the choices)
        return raw
    if is_list(item):
        return [convert(item, spec, one, name) for one in raw]
    return convert(item, spec, raw, name)


def options_from(args: argparse.Namespace, cls: type) -> Any:
    """A ``cls`` object from parsed ``args``: the values given, checked, and the declared defaults."""
    return cls(**values_from(args, cls))
