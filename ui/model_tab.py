"""Model tab: choose the model in view (the one Predict and Attention use) and, separately, the base
model that *Start training* fine-tunes.

Kinds: the embedded default, a Hugging Face id (from the local cache when offline), a model folder the
admin offers (``--model``/``--models``; clients never type server paths) or an earlier run. *Load* makes the choice the model in view; *Use as base model for training* makes it
the Train tab's base. Both choices are shown here and survive a page reload.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.errors import TuneScopeError
from core.models import describe_model
from ui.actions import Actions
from ui.common import friendly_errors, human_count, warn_all
from ui.session import DEFAULT, model_name, model_ref, split_ref
from ui.train_view import run_choices

KINDS = {"Embedded default (MiniLM-L6)": DEFAULT, "Hugging Face id": "hub", "Local folder": "folder",
         "Earlier run": "run"}


def model_markdown(info: dict[str, Any]) -> str:
    labels = ", ".join(f"`{label}`" for label in info["labels"])
    return (
        f"### {info['name']}\n"
        f"| architecture | type | layers | heads | hidden | parameters | device | dtype |\n|---|---|---|---|---|---|---|---|\n"
        f"| {info['architecture']} | {info['model_type']} | {info['layers']} | {info['heads']} | {info['hidden_size']} "
        f"| {human_count(info['parameters'])} | {info['device']} | {info['dtype']} |\n\n"
        f"Labels: {labels}"
    )


def choices_markdown(view: str | None, base: str | None) -> str:
    """The two model choices, side by side."""
    return (f"**Model in view** (Predict, Attention): {model_name(view)}  \n"
            f"**Base model for training** (Train): {model_name(base)}")


class ModelTab:
    """The Model tab's components and handlers."""

    def __init__(self, actions: Actions, state: dict[str, Any]) -> None:
        self.actions = actions
        self.state = state
        with gr.Row():
            with gr.Column(scale=1):
                kinds = [k for k, v in KINDS.items() if v != "folder" or actions.places.folders]
                self.kind = gr.Radio(kinds, value=kinds[0], label="Model")
                self.hub_id = gr.Textbox(label="Hugging Face id", placeholder="e.g. distilbert-base-uncased",
                                         visible=False, info="Loaded from the local cache when offline.")
                self.folder = gr.Dropdown([str(p) for p in actions.places.folders], label="Model folder", visible=False,
                                          info="Folders the admin offers (python app.py --models DIR).")
                with gr.Row(visible=False) as self.run_row:
                    self.run = gr.Dropdown(self.run_list(), label="Earlier run", scale=4,
                                           info="A finished or stopped run with a saved model.")
                    self.refresh = gr.Button("↻", scale=0, min_width=40)
                with gr.Row():
                    self.load = gr.Button("Load into view", variant="primary")
                    self.as_base = gr.Button("Use as base model for training")
            with gr.Column(scale=2):
                self.choices = gr.Markdown(choices_markdown(DEFAULT, DEFAULT))
                self.description = gr.Markdown("Loading the embedded default model…")
                self.facts = gr.JSON(label="Details", visible=False)
        self.wire()

    def run_list(self) -> list[tuple[str, str]]:
        return run_choices(self.actions.list_runs(), with_model=True)

    def wire(self) -> None:
        st = self.state
        self.kind.change(self.show_inputs, self.kind, [self.hub_id, self.folder, self.run_row],
                         api_visibility="private")
        self.refresh.click(lambda: gr.Dropdown(choices=self.run_list()), None, self.run, api_visibility="private")
        chosen = {self.kind, self.hub_id, self.folder, self.run}
        self.load.click(self.on_load, chosen, st["view"], api_visibility="private")
        self.as_base.click(self.on_as_base, chosen, st["base"], api_visibility="private")
        st["view"].change(self.describe, st["view"], [self.description, self.facts], api_visibility="private")
        for source in (st["view"], st["base"]):
            source.change(choices_markdown, [st["view"], st["base"]], self.choices, api_visibility="private")

    def show_inputs(self, choice: str) -> dict[Any, Any]:
        kind = KINDS.get(choice, DEFAULT)
        return {self.hub_id: gr.update(visible=kind == "hub"), self.folder: gr.update(visible=kind == "folder"),
                self.run_row: gr.update(visible=kind == "run")}

    def chosen_ref(self, values: dict[Any, Any]) -> str:
        """The model reference the inputs describe; a clear message when the chosen kind has no value."""
        kind = KINDS.get(values[self.kind], DEFAULT)
        value = {"hub": values[self.hub_id], "folder": values[self.folder], "run": values[self.run]}.get(kind) or ""
        if kind != DEFAULT and not str(value).strip():
            raise gr.Error({"hub": "Type a Hugging Face model id, e.g. distilbert-base-uncased.",
                            "folder": "Choose one of the model folders this app offers.",
                            "run": "No earlier run chosen: train one first, or pick another kind of model."}[kind])
        return model_ref(kind, str(value))

    @friendly_errors
    def on_load(self, values: dict[Any, Any]) -> str:
        ref = self.chosen_ref(values)
        loaded = self.actions.load(ref)  # loads now, so errors show here rather than in Predict
        warn_all(loaded.warnings)
        return ref

    @friendly_errors
    def on_as_base(self, values: dict[Any, Any]) -> str:
        ref = self.chosen_ref(values)
        if split_ref(ref)[0] != "hub":  # a hub id may be fetched when training starts; the rest must load now
            self.actions.load(ref)
        gr.Info(f"The Train tab will fine-tune {model_name(ref)}.")
        return ref

    def describe(self, ref: str | None) -> dict[Any, Any]:
        """Describe the model in view (on page load and whenever it changes), without a popup."""
        try:
            loaded = self.actions.load(ref or DEFAULT)
        except TuneScopeError as exc:  # shown in place; the load button gives the popup
            return {self.description: f"Could not load {model_name(ref)}: {exc}", self.facts: gr.update(visible=False)}
        info = describe_model(loaded.model, loaded.source)
        return {self.description: model_markdown(info), self.facts: gr.update(value=info, visible=True)}
