"""How a declared setting is described, typed, converted and checked: the machinery behind ``core.config``
and every command's options (``core.cli``).

A setting is a dataclass field whose metadata holds a :class:`Spec` (created with :func:`setting`); its
type is the field's annotation itself, read with ``typing.get_type_hints`` as ``HfArgumentParser`` reads
it (``int | None`` and ``Optional[int]`` alike), never its text. ``convert`` turns a form value or a
command-line string into the field's type, ``check_value`` refuses values outside the declared range or
choices with a :class:`ConfigError` naming the setting (or the flag the user typed). The run settings
are declared in ``core.config``, the commands' options in ``core.cli.options``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class Spec:
    """How one setting is shown, parsed and checked.

    ``optional`` settings take ``None`` for 'off' (a form shows 0 for it); ``minimum``/``maximum`` bound
    numbers (``above``/``below`` make a bound exclusive); ``flag`` is the CLI flag (``--name`` by
    default); ``negated_flag`` is a boolean flag that sets the setting to False (``--train-embeddings``
    for ``freeze_embeddings``); ``positional`` makes it a positional argument of its command (left out
    when it has a default); a list setting's flag takes several values, and with ``repeatable`` may be
    given several times, each adding to the list; ``parse`` turns a form or command-line string into the
    value; ``group`` places the setting in the form ('basic', 'advanced' or 'data'); ``widget`` and
    ``ui_range`` choose the form control.
    """

    help: str
    label: str = ""
    flag: str | None = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    below: bool = False
    optional: bool = False
    negated_flag: str | None = None
    positional: bool = False
    repeatable: bool = False
    parse: Callable[[Any], Any] | None = None
    group: str = "advanced"
    widget: str | None = None
    ui_range: tuple[float, float, float] | None = None
    metavar: str | None = None
    example: str | None = None


def setting(default: Any = MISSING, like: Spec | None = None, **spec: Any) -> Any:
    """A dataclass field with its :class:`Spec`: ``spec``'s keywords, or a shared ``like`` with some of them changed.

    Without a default the setting must be given (a required positional argument); a list default is
    copied for each object.
    """
    if like is not None and spec:
        like = dataclasses.replace(like, **spec)
    described = like if like is not None else Spec(**spec)  # a shared spec unchanged is that very spec
    if isinstance(default, list):
        return field(default_factory=functools.partial(list, default), metadata={"spec": described})
    return field(default=default, metadata={"spec": described})


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def specs(cls: type) -> Iterator[tuple[dataclasses.Field, Spec]]:
    """The declared fields of a settings dataclass with their specs, in declaration order.

    Each field's ``type`` is its resolved annotation (a copy of the field: the class is left as it is).
    """
    hints = _hints(cls)
    for item in dataclasses.fields(cls):
        if "spec" in item.metadata:
            resolved = copy.copy(item)
            resolved.type = hints[item.name]
            yield resolved, item.metadata["spec"]


def spec_of(cls: type, name: str) -> Spec:
    """The spec of ``cls``'s declared field ``name``: to declare another setting like it."""
    return next(spec for item, spec in specs(cls) if item.name == name)


def _without_none(hint: Any) -> tuple[Any, bool]:
    """The type with ``None`` taken out of a union, and whether ``None`` was in it."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        kept = tuple(arg for arg in typing.get_args(hint) if arg is not type(None))
        if len(kept) < len(typing.get_args(hint)):
            return (kept[0] if len(kept) == 1 else typing.Union[kept]), True  # noqa: UP007 (built at run time)
    return hint, False


def allows_none(item: dataclasses.Field) -> bool:
    """Whether the field's type takes ``None`` (``int | None``, ``Optional[str]``)."""
    return _without_none(item.type)[1]


def is_list(item: dataclasses.Field) -> bool:
    """Whether the field holds a list of values (``list[int]``)."""
    return typing.get_origin(_without_none(item.type)[0]) is list


def base_type(item: dataclasses.Field) -> str:
    """'bool', 'int', 'float', 'str' or 'float|str' (a number or a word) for a field from :func:`specs`.

    Read from the type itself: ``None`` in a union is left out, and a list gives its items' type.
    """
    if isinstance(item.type, str):
        raise TypeError(f"{item.name}'s type is unresolved text {item.type!r}: take the field from specs()")
    hint = _without_none(item.type)[0]
    if typing.get_origin(hint) is list:
        hint = typing.get_args(hint)[0]
    if hint in (bool, int, float, str):
        return hint.__name__
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and set(typing.get_args(hint)) == {float, str}:
        return "float|str"
    raise TypeError(f"unsupported setting type {item.type} for {item.name}")


def has_default(item: dataclasses.Field) -> bool:
    return item.default is not MISSING or item.default_factory is not MISSING


def default_of(item: dataclasses.Field) -> Any:
    """The field's declared default (a fresh list for a list setting)."""
    return item.default_factory() if item.default_factory is not MISSING else item.default


def convert(item: dataclasses.Field, spec: Spec, raw: Any, name: str | None = None) -> Any:
    """A value from a form control or a command-line string, as the field's type; ``None`` for 'off'.

    Messages name the setting, or ``name`` (the flag a user typed).
    """
    kind, name = base_type(item), name or item.name
    if spec.parse is not None:
        return spec.parse(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.optional:
            return None
        raise ConfigError(f"{name} needs a value, e.g. {spec.example or item.default}.")
    try:
        if kind == "bool":
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
        if kind == "int":
            number = float(raw)
            if number != int(number):
                raise ValueError
            value: Any = int(number)
            return None if spec.optional and value == 0 else value
        if kind == "float":
            return float(raw)
        return str(raw).strip()
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float('inf'))
        raise ConfigError(f"{name} must be a {'whole number' if kind == 'int' else 'number'}, "
                          f"e.g. {spec.example or item.default} (got {raw!r}).") from None


def check_value(item: dataclasses.Field, spec: Spec, value: Any, name: str | None = None) -> None:
    """Raise :class:`ConfigError` naming the setting (or ``name``, the flag a user typed) when ``value`` is not allowed."""
    name, kind = name or item.name, base_type(item)
    if value is None:
        if spec.optional or allows_none(item):
            return
        raise ConfigError(f"{name} needs a value, e.g. {spec.example or item.default}.")
    if spec.parse is not None:
        spec.parse(value)  # the custom parser refuses what it cannot read
        return
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false (got {value!r}).")
        return
    if spec.choices is not None and value not in spec.choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, spec.choices))} (got {value!r}).")
    if kind in ("int", "float"):
        if (isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value)
                or (kind == "int" and (math.isinf(value) or value != int(value)))):
            raise ConfigError(f"{name} must be a {'whole number' if kind == 'int' else 'number'} (got {value!r}).")
        _check_range(name, spec, value, kind)


def _check_range(name: str, spec: Spec, value: float, kind: str) -> None:
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (value <= low if spec.above else value < low)
    too_high = high is not None and (value >= high if spec.below else value > high)
    if not (too_low or too_high):
        return
    if spec.optional and kind == "int" and low == 1 and high is None:
        raise ConfigError(f"{name} must be a positive whole number or empty (got {value}).")

    def text(bound: float) -> str:  # a seed's maximum is 4294967295, not 4.29497e+09
        return f"{bound:g}" if kind == "float" else str(int(bound))

    example = f", e.g. {spec.example}" if spec.example else ""
    if high is None and low == 0 and not spec.above:
        raise ConfigError(f"{name} must be 0 or more{example} (got {value}).")
    if high is None:  # one-sided bounds: no ``None`` to format
        raise ConfigError(f"{name} must be {'above' if spec.above else 'at least'} {text(low)}{example} (got {value}).")
    if low is None:
        raise ConfigError(f"{name} must be {'below' if spec.below else 'at most'} {text(high)}{example} (got {value}).")
    left = "(" if spec.above else "["
    right = ")" if spec.below else "]"
    raise ConfigError(f"{name} must be in {left}{text(low)}, {text(high)}{right}{example} (got {value}).")


def check_fields(settings: Any, skip: set[str] | None = None) -> None:
    """Check every declared field of a settings object against its spec."""
    for item, spec in specs(type(settings)):
        if skip and item.name in skip:
            continue
        check_value(item, spec, getattr(settings, item.name))


def from_values(cls: type, values: dict[str, Any], strict: bool = True) -> Any:
    """A settings object from raw values keyed by field name (strings from a form or a command line).

    Missing names take their defaults; with ``strict`` unknown names are an error.
    """
    known = {item.name: (item, spec) for item, spec in specs(cls)}
    unknown = set(values) - set(known)
    if unknown and strict:
        raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
    kwargs = {name: convert(*known[name], raw) for name, raw in values.items() if name in known}
    return cls(**kwargs)
