"""How a declared setting is described, converted and checked: the machinery behind ``core.config``.

A setting is a dataclass field whose metadata holds a :class:`Spec` (created with :func:`setting`).
``convert`` turns a form value or a command-line string into the field's type, ``check_value`` refuses
values outside the declared range or choices with a :class:`ConfigError` naming the setting. The
declarations themselves are in ``core.config``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class Spec:
    """How one setting is shown, parsed and checked.

    ``optional`` settings take ``None`` for 'off' (a form shows 0 for it); ``minimum``/``maximum`` bound
    numbers (``above``/``below`` make a bound exclusive); ``flag`` is the CLI flag (``--name`` by
    default); ``negated_flag`` is a boolean flag that sets the setting to False (``--train-embeddings``
    for ``freeze_embeddings``); ``parse`` turns a form or command-line string into the value; ``group``
    places the setting in the form ('basic', 'advanced' or 'data'); ``widget`` and ``ui_range`` choose
    the form control.
    """

    help: str
    label: str
    flag: str | None = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    below: bool = False
    optional: bool = False
    negated_flag: str | None = None
    parse: Callable[[Any], Any] | None = None
    group: str = "advanced"
    widget: str | None = None
    ui_range: tuple[float, float, float] | None = None
    metavar: str | None = None
    example: str | None = None


def setting(default: Any, **spec: Any) -> Any:
    """A dataclass field with its :class:`Spec`."""
    return field(default=default, metadata={"spec": Spec(**spec)})


def specs(cls: type) -> Iterator[tuple[dataclasses.Field, Spec]]:
    """The declared fields of a settings dataclass with their specs, in declaration order."""
    for item in dataclasses.fields(cls):
        if "spec" in item.metadata:
            yield item, item.metadata["spec"]


def base_type(item: dataclasses.Field) -> str:
    """'int', 'float', 'bool', 'str' or 'dropout' for a declared field (from its annotation)."""
    annotation = str(item.type).replace(" ", "")
    if annotation.startswith("float|str"):
        return "dropout"
    for name in ("bool", "int", "float", "str"):
        if annotation.startswith(name):
            return name
    raise TypeError(f"unsupported setting type {item.type}")


def convert(item: dataclasses.Field, spec: Spec, raw: Any) -> Any:
    """A value from a form control or a command-line string, as the field's type; ``None`` for 'off'."""
    kind = base_type(item)
    if spec.parse is not None:
        return spec.parse(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.optional:
            return None
        raise ConfigError(f"{item.name} needs a value, e.g. {spec.example or item.default}.")
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
        raise ConfigError(f"{item.name} must be a {'whole number' if kind == 'int' else 'number'}, "
                          f"e.g. {spec.example or item.default} (got {raw!r}).") from None


def check_value(item: dataclasses.Field, spec: Spec, value: Any) -> None:
    """Raise :class:`ConfigError` naming the setting when ``value`` is not allowed."""
    name, kind = item.name, base_type(item)
    if value is None:
        if spec.optional:
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
