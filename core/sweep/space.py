"""A sweep's search space: which settings are searched, over which range, and how Optuna samples them.

A space is written as ``name=low:high`` (uniform), ``name=low:high:log`` (log-uniform) or
``name=a,b,c`` (a choice), one entry per searched setting, e.g. ``learning_rate=1e-5:3e-4:log
epochs=1:4 batch_size=16,32,64 warmup_ratio=0:0.2 dropout=0:0.2``. Only the settings in
``SEARCHABLE`` can be searched; every bound and choice is checked against the setting's own declaration
in ``core.config`` (one-sentence :class:`ConfigError`). Whole-number bounds of ``batch_size`` and
``epochs`` are sampled as whole numbers. Leaves out: running trials (``core.sweep.trial``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from core.config import TrainSettings
from core.errors import ConfigError
from core.settings import check_value, specs

SEARCHABLE = ("learning_rate", "epochs", "batch_size", "warmup_ratio", "dropout", "weight_decay")
DEFAULT_SPACE = "learning_rate=1e-5:3e-4:log epochs=1:4 batch_size=16,32,64 warmup_ratio=0:0.2 dropout=0:0.2"
WHOLE = ("batch_size", "epochs")  # sampled as whole numbers when both bounds are whole


@dataclass(frozen=True)
class Param:
    """One searched setting: a range (``low``, ``high``, ``log``) or a list of ``choices``."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    @property
    def whole(self) -> bool:
        return self.choices is None and self.name in WHOLE and float(self.low).is_integer() and float(
            self.high).is_integer()

    def text(self) -> str:
        """The parameter as it is written in a space (``name=low:high[:log]`` or ``name=a,b``)."""
        if self.choices is not None:
            return f"{self.name}=" + ",".join(_number_text(c) for c in self.choices)
        return f"{self.name}={_number_text(self.low)}:{_number_text(self.high)}" + (":log" if self.log else "")

    def suggest(self, trial: Any) -> Any:
        """The value Optuna's ``trial`` picks for this parameter."""
        if self.choices is not None:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.whole:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def contains(self, value: Any) -> bool:
        if value is None or isinstance(value, str):
            return False
        if self.choices is not None:
            return value in self.choices
        return self.low <= value <= self.high and (not self.whole or float(value).is_integer())


def _number_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_FIELDS = {item.name: (item, spec) for item, spec in specs(TrainSettings)}


def _number(name: str, text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"The search range of {name} has {text.strip()!r}, which is not a number: "
                          f"write e.g. {name}={_example(name)}.") from None
    if not math.isfinite(value):
        raise ConfigError(f"The search range of {name} must use finite numbers (got {text.strip()!r}).")
    if name == "batch_size":
        if not value.is_integer():
            raise ConfigError(f"batch_size can only take whole numbers (got {text.strip()!r}): e.g. 16,32,64.")
        return int(value)
    return value


def _example(name: str) -> str:
    return next((p.split("=", 1)[1] for p in DEFAULT_SPACE.split() if p.startswith(name + "=")), "0:1")


def _check_allowed(name: str, value: Any) -> None:
    """The value is one the setting itself accepts (its declared range), or a ConfigError naming both."""
    item, spec = _FIELDS[name]
    if name == "dropout":  # 'auto'/'model' or a rate: the search only uses rates
        if not 0 <= value < 1:
            raise ConfigError(f"The search range of dropout must stay in [0, 1) (got {value:g}).")
        return
    try:
        check_value(item, spec, value)
    except ConfigError as exc:
        raise ConfigError(f"The search range of {name} goes outside what the setting allows: {exc}") from None


def parse_param(entry: str) -> Param:
    """One ``name=low:high[:log]`` or ``name=a,b,c`` entry, checked; a :class:`ConfigError` otherwise."""
    name, sep, body = str(entry).strip().partition("=")
    name = name.strip().replace("-", "_")
    if name not in SEARCHABLE:
        raise ConfigError(f"{name or entry!r} cannot be searched: choose among {', '.join(SEARCHABLE)} "
                          f"(e.g. --space {DEFAULT_SPACE.split()[0]}).")
    if not sep or not body.strip():
        raise ConfigError(f"The search range of {name} is missing: write e.g. {name}={_example(name)}.")
    if "," in body:
        choices = tuple(dict.fromkeys(_number(name, part) for part in body.split(",") if part.strip()))
        for value in choices:
            _check_allowed(name, value)
        return Param(name, choices=choices)
    parts = [p.strip() for p in body.split(":")]
    log = len(parts) == 3 and parts[2].lower() == "log"
    if len(parts) not in (1, 2) and not log:
        raise ConfigError(f"The search range of {name} must be low:high, low:high:log or a,b,c "
                          f"(got {body.strip()!r}): e.g. {name}={_example(name)}.")
    if len(parts) == 1:
        return Param(name, choices=(_number(name, parts[0]),))
    low, high = _number(name, parts[0]), _number(name, parts[1])
    if not low < high:
        raise ConfigError(f"The search range of {name} needs its low end below its high end (got {body.strip()!r}).")
    if log and low <= 0:
        raise ConfigError(f"A log range needs a positive low end: {name} starts at {low:g}.")
    for value in (low, high):
        _check_allowed(name, value)
    return Param(name, float(low), float(high), log)


def parse_space(space: str | list[str] | dict[str, str] | None) -> tuple[Param, ...]:
    """The parameters of a space given as text, a list of entries or ``{name: range}``; the default when None.

    The space replaces the default one: only the settings it names are searched; the others keep the
    run's own value.
    """
    if space is None:
        space = DEFAULT_SPACE
    if isinstance(space, dict):
        entries = [f"{k}={v}" for k, v in space.items() if str(v or "").strip()]
    elif isinstance(space, str):
        entries = space.split()
    else:
        entries = [part for entry in space for part in str(entry).split()]
    params = [parse_param(entry) for entry in entries]
    if not params:
        raise ConfigError("The search space is empty: give at least one range, e.g. "
                          f"{DEFAULT_SPACE.split()[0]}.")
    names = [p.name for p in params]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"The search space gives {', '.join(twice)} more than once: keep one range each.")
    return tuple(params)


def space_text(params: tuple[Param, ...]) -> str:
    return " ".join(p.text() for p in params)


def check_base(params: tuple[Param, ...], train: TrainSettings) -> None:
    """Refuse a space that the run's other settings would make meaningless (epochs under --max-steps)."""
    if train.max_steps and any(p.name == "epochs" for p in params):
        raise ConfigError("epochs is searched but max_steps is set, and max_steps overrides epochs: "
                          "remove max_steps or take epochs out of the search space.")


def apply_params(train: TrainSettings, values: dict[str, Any]) -> TrainSettings:
    """A copy of ``train`` with the sampled ``values`` (checked like any setting)."""
    changed = dataclasses.replace(train, **{k: (float(v) if k in ("epochs", "dropout") else v)
                                            for k, v in values.items()})
    changed.validate()
    return changed


def base_values(params: tuple[Param, ...], train: TrainSettings) -> dict[str, Any]:
    """The run's own settings for the searched parameters that lie inside the space (the first trial tries them)."""
    values: dict[str, Any] = {}
    for param in params:
        value = train.resolved_dropout() if param.name == "dropout" else getattr(train, param.name)
        if isinstance(value, str):  # epochs 'auto': not a point of the space, trials sample a length
            continue
        if param.whole and isinstance(value, float) and value.is_integer():
            value = int(value)
        if param.contains(value):
            values[param.name] = value
    return values
