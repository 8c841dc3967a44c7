"""Model tab: choose the embedded default, a Hugging Face id, a local folder or an earlier run."""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.inference import load_for_inference
from core.models import describe_model
from core.runs import list_runs
from ui.common import friendly_errors, human_count, warn_all

KINDS = ["Embedded default (MiniLM-L6)", "Hugging Face id", "Local folder", "Earlier run"]


def run_choices(runs_root: str | None) -> list[tuple[str, str]]:
    """Dropdown choices for runs that have a saved model: (label, run folder)."""
    return [
        (f"{r['run_id']} · {r['state']}" + (f" · acc {r['accuracy']:.3f}" if r.get("accuracy") is not None else ""),
         r["run_dir"])
        for r in list_runs(runs_root)
        if r["has_model"]
    ]


def model_markdown(info: dict[str, Any]) -> str:
    labels = ", ".join(f"`{label}`" for label in info["labels"])
    return (
        f"### {info['name']}\n"
        f"| architecture | type | layers | heads | hidden | parameters | device | dtype |\n|---|---|---|---|---|---|---|---|\n"
        f"| {info['architecture']} | {info['model_type']} | {info['layers']} | {info['heads']} | {info['hidden_size']} "
        f"| {human_count(info['parameters'])} | {info['device']} | {info['dtype']} |\n\n"
        f"Labels: {labels}"
    )


def source_from(kind: str, hub_id: str, folder: str, run: str | None) -> str:
    """The model string core understands for the chosen kind."""
    if kind == KINDS[1]:
        if not hub_id.strip():
            raise gr.Error("Type a Hugging Face model id, e.g. distilbert-base-uncased.")
        return hub_id.strip()
    if kind == KINDS[2]:
        if not folder.strip():
            raise gr.Error("Type the path of a folder holding config.json and the weights.")
        return folder.strip()
    if kind == KINDS[3]:
        if not run:
            raise gr.Error("No earlier run chosen: train one first, or pick another kind of model.")
        return run
    return "default"


@friendly_errors
def load_model(kind: str, hub_id: str, folder: str, run: str | None) -> tuple[str, str, Any]:
    """Load the chosen model and describe it. Returns (model source, description, facts)."""
    source = source_from(kind, hub_id, folder, run)
    loaded = load_for_inference(source)
    warn_all(loaded.warnings)
    info = describe_model(loaded.model, loaded.source)
    return source, model_markdown(info), gr.update(value=info, visible=True)


def build(model_source: gr.State, runs_root: str | None) -> tuple[gr.Markdown, gr.JSON]:
    """Lay out the Model tab inside the current ``gr.Tab``."""
    with gr.Row():
        with gr.Column(scale=1):
            kind = gr.Radio(KINDS, value=KINDS[0], label="Model")
            hub_id = gr.Textbox(label="Hugging Face id", placeholder="e.g. distilbert-base-uncased", visible=False,
                                info="Loaded from the local cache when offline.")
            folder = gr.Textbox(label="Local folder", placeholder="/path/to/model", visible=False)
            with gr.Row(visible=False) as run_row:
                run = gr.Dropdown(run_choices(runs_root), label="Earlier run", scale=4, allow_custom_value=True,
                                  info="A finished or stopped run; or paste a run folder.")
                refresh = gr.Button("↻", scale=0, min_width=40)
            load = gr.Button("Load model", variant="primary")
        with gr.Column(scale=2):
            description = gr.Markdown("Loading the embedded default model…")
            facts = gr.JSON(label="Details", visible=False)

    def show_inputs(choice: str) -> tuple[Any, Any, Any]:
        return (gr.update(visible=choice == KINDS[1]), gr.update(visible=choice == KINDS[2]),
                gr.update(visible=choice == KINDS[3]))

    kind.change(show_inputs, kind, [hub_id, folder, run_row], api_visibility="private")
    refresh.click(lambda: gr.Dropdown(choices=run_choices(runs_root)), None, run, api_name="list_runs")
    load.click(load_model, [kind, hub_id, folder, run], [model_source, description, facts], api_name="load_model")
    return description, facts


def describe_current(source: str) -> tuple[str, Any]:
    """Describe the model in use (on page load and when a run finishes), without a popup."""
    try:
        loaded = load_for_inference(source)
    except Exception as exc:  # shown in place; the load button gives the popup
        return f"Could not load `{source}`: {exc}", gr.update(visible=False)
    info = describe_model(loaded.model, loaded.source)
    return model_markdown(info), gr.update(value=info, visible=True)
