"""The Train tab's settings form, derived from the declarations in ``core.config``.

One control per declared setting (basic ones in view, the rest under *Advanced*), with the setting's
label, help text, range and default; :func:`form_settings` turns the controls' values back into
``DataSettings``/``TrainSettings`` through ``core.settings.from_values`` (the same conversion the CLI
uses), so the form, the equivalent command and ``config.json`` cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from core.config import DataSettings, TrainSettings
from core.data import Columns
from core.settings import Spec, base_type, from_values, specs

PER_ROW = 4


def _control(item: dataclasses.Field, spec: Spec) -> Any:
    """The Gradio control for one setting, showing its default."""
    kind, default = base_type(item), item.default
    info = spec.help[:1].upper() + spec.help[1:]
    if kind == "bool":
        shown = not default if spec.negated_flag else default  # "Also train the embeddings" shows the flip
        return gr.Checkbox(shown, label=spec.label, info=info)
    if spec.widget == "dropdown-custom":
        return gr.Dropdown([str(c) for c in spec.choices or ()], value=str(default), allow_custom_value=True,
                           label=spec.label, info=info)
    if spec.choices:
        control = gr.Radio if spec.widget == "radio" else gr.Dropdown
        return control(list(spec.choices), value=default, label=spec.label, info=info)
    if spec.widget == "slider" and spec.ui_range:
        low, high, step = spec.ui_range
        return gr.Slider(low, high, value=default, step=step, label=spec.label, info=info)
    value = 0 if default is None else default
    return gr.Number(value, label=spec.label, info=info, precision=0 if kind == "int" else None,
                     minimum=0 if spec.optional else spec.minimum if not spec.above else None)


def build_form() -> dict[str, Any]:
    """Lay out the form inside the current block; returns {setting name: control}."""
    declared = [(i, s) for cls in (TrainSettings, DataSettings) for i, s in specs(cls) if s.group != "data"]
    basic = [pair for pair in declared if pair[1].group == "basic"]
    advanced = [pair for pair in declared if pair[1].group != "basic"]
    controls: dict[str, Any] = {}
    _rows(basic, controls)
    with gr.Accordion("Advanced", open=False):
        _rows(advanced, controls)
    return controls


def _rows(pairs: list[tuple[dataclasses.Field, Spec]], controls: dict[str, Any]) -> None:
    for start in range(0, len(pairs), PER_ROW):
        with gr.Row():
            for item, spec in pairs[start:start + PER_ROW]:
                controls[item.name] = _control(item, spec)


def form_values(controls: dict[str, Any], values: dict[Any, Any]) -> dict[str, Any]:
    """{setting name: raw value} from an event's {control: value}, flipping negated checkboxes back."""
    raw: dict[str, Any] = {}
    for cls in (TrainSettings, DataSettings):
        for item, spec in specs(cls):
            if item.name in controls:
                value = values[controls[item.name]]
                raw[item.name] = (not value) if spec.negated_flag else value
    return raw


def form_settings(raw: dict[str, Any]) -> tuple[dict[str, Any], TrainSettings]:
    """(data-setting values, TrainSettings) from :func:`form_values`; empty numbers take their defaults."""
    train_names = {item.name for item, _ in specs(TrainSettings)}
    train_raw = {k: v for k, v in raw.items() if k in train_names and not _empty(v)}
    data_raw = {k: v for k, v in raw.items() if k not in train_names and not _empty(v)}
    data = from_values(DataSettings, data_raw)
    return {name: getattr(data, name) for name in data_raw}, from_values(TrainSettings, train_raw)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def form_run_config(actions: Any, form: dict[str, Any], values: dict[Any, Any], data_choice: Any, base: str | None,
                    val_path: str | None = None, text_path: str | None = None) -> Any:
    """The run configuration the Train form describes, for the session's data and ``base`` model: what *Start
    training* launches and what a sweep searches around. The validation and pre-training files the browser
    sent are stored as uploads first (clients never name server paths)."""
    from core.data.uploads import store_upload
    from ui.session import DEFAULT, valid_data

    data = valid_data(data_choice, actions.places)
    if not data:
        raise gr.Error("No data yet: upload a labelled file in the Data tab (or use the sample).")
    data_values, train = form_settings(form_values(form, values))
    uploads = actions.places.uploads
    val_upload = store_upload(val_path, uploads) if val_path else None
    if text_path:
        train.pretrain_file = actions.pretrain_path(store_upload(text_path, uploads))
    return actions.run_config(data["upload"], base or DEFAULT, train, Columns.from_dict(data), val_upload,
                              data_values.get("val_fraction"))
