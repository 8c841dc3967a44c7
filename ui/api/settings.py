"""The declared settings (``core.config``) as the Train form needs them: one control per setting, and the
form's values back as settings.

:func:`form_fields` lists what the form shows (its label, help, range and default come from the setting's
``Spec``); :func:`form_settings` turns the form's values into ``DataSettings`` values and ``TrainSettings``
through ``core.settings.from_values``, the conversion the CLI uses, so the form, the equivalent command and
``config.json`` cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core.config import DataSettings, TrainSettings
from core.settings import Spec, base_type, from_values, specs


def form_fields() -> list[tuple[dataclasses.Field, Spec, str]]:
    """(field, spec, base type name) of every setting the form shows: the training settings, then the data
    settings outside the 'data' group (those are the Data tab's), in declaration order."""
    return [(item, spec, base_type(item)) for cls in (TrainSettings, DataSettings) for item, spec in specs(cls)
            if spec.group != "data"]


def form_settings(raw: dict[str, Any]) -> tuple[dict[str, Any], TrainSettings]:
    """(data-setting values, TrainSettings) from the form's {setting name: value}; empty numbers take their
    defaults."""
    train_names = {item.name for item, _ in specs(TrainSettings)}
    train_raw = {k: v for k, v in raw.items() if k in train_names and not _empty(v)}
    data_raw = {k: v for k, v in raw.items() if k not in train_names and not _empty(v)}
    data = from_values(DataSettings, data_raw)
    return {name: getattr(data, name) for name in data_raw}, from_values(TrainSettings, train_raw)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
