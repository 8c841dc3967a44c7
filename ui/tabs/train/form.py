"""The Train tab's settings form, derived from the declarations in ``core.config`` (``ui.api.settings``).

One control per declared setting (basic ones in view, the rest under *Advanced*), with the setting's
label, help text, range and default; :func:`form_values` reads the controls back by setting name and
:func:`form_run_config` turns them into the run configuration through ``ui.api`` (the same conversion the
CLI uses), so the form, the equivalent command and ``config.json`` cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gradio as gr

from ui.api.endpoints import Api
from ui.api.settings import form_fields

PER_ROW = 4


def _control(item: dataclasses.Field, spec: Any, kind: str) -> Any:
    """The Gradio control for one setting, showing its default."""
    default = item.default
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
    declared = form_fields()
    basic = [field for field in declared if field[1].group == "basic"]
    advanced = [field for field in declared if field[1].group != "basic"]
    controls: dict[str, Any] = {}
    _rows(basic, controls)
    with gr.Accordion("Advanced", open=False):
        _rows(advanced, controls)
    return controls


def _rows(fields: list[tuple[dataclasses.Field, Any, str]], controls: dict[str, Any]) -> None:
    for start in range(0, len(fields), PER_ROW):
        with gr.Row():
            for item, spec, kind in fields[start:start + PER_ROW]:
                controls[item.name] = _control(item, spec, kind)


def form_values(controls: dict[str, Any], values: dict[Any, Any]) -> dict[str, Any]:
    """{setting name: raw value} from an event's {control: value}, flipping negated checkboxes back."""
    raw: dict[str, Any] = {}
    for item, spec, _ in form_fields():
        if item.name in controls:
            value = values[controls[item.name]]
            raw[item.name] = (not value) if spec.negated_flag else value
    return raw


def form_run_config(api: Api, form: dict[str, Any], values: dict[Any, Any], data_choice: Any, base: str | None,
                    val_path: str | None = None, text_path: str | None = None) -> Any:
    """The run configuration the Train form describes, for the session's data and ``base`` model: what *Start
    training* launches and what a sweep searches around (``ui.api.training.Training.form_config``)."""
    return api.training.form_config(data_choice, base, form_values(form, values), val_path, text_path)
