"""Model tab: choose the model in view (the one Predict and Attention use) and, separately, the base
model that *Start training* fine-tunes.

Kinds: the embedded default, a Hugging Face id (from the local cache when offline), a model folder the
admin offers (``--model``/``--models``; clients never type server paths) or an earlier run. *Load* makes
the choice the model in view; *Use as base model for training* makes it the Train tab's base (both through
``ui.api.models``). Both choices are shown here and survive a page reload.

The playground (*Try the model in view*) shows the top tokens for each ``[MASK]`` (encoders) or for
the next token (decoders) of the model in view (a run with a pre-training stage: its pre-trained model),
through ``ui.api.predict.Predictions.fill``, when the model ships a trained language-model head; a model
without one (the embedded MiniLM) would guess at random, so it is offered sentence similarity instead
(``Predictions.similarity``). The example text follows the model in view (``Models.playground``): a ``[MASK]``
sentence for an encoder, a text to continue for a decoder. Buttons that load or predict wait, disabled, while they work (``ui.tabs.busy``). *Attention of this position* puts ``{"text", "model",
"position", "token"}`` into :attr:`ModelTab.attention_target` for the Attention tab to open (wired in ``ui.interface``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.limits import HEAVY
from ui.api.models import smollm2_installed
from ui.api.session import DEFAULT, HUB, SMOLLM2, ModelRef, model_name
from ui.tabs.busy import busy
from ui.tabs.format import run_choices
from ui.tabs.model.format import choices_markdown, model_markdown, predictions_frame
from ui.tabs.notices import info, warn_all

FILL_TEXT = ("the film was [MASK] and moving .", "The capital of France is")  # encoders, decoders
SIMILAR_TEXT = "The capital of France is Paris."
SIMILAR_OTHERS = ("France's capital city is Paris.\nParis is the largest city in France.\n"
                  "The night train was delayed by four hours.\nI loved this film.")
KINDS = {"Embedded default (MiniLM-L6)": DEFAULT, "Embedded decoder (SmolLM2-135M)": SMOLLM2,
         "Hugging Face id": "hub", "Local folder": "folder", "Earlier run": "run"}


class ModelTab:
    """The Model tab's components and handlers."""

    def __init__(self, api: Api, state: dict[str, Any]) -> None:
        self.api = api
        self.state = state
        with gr.Row():
            with gr.Column(scale=1):
                kinds = [k for k, v in KINDS.items() if (v != "folder" or api.context.places.folders)
                         and (v != SMOLLM2 or smollm2_installed())]
                self.kind = gr.Radio(kinds, value=kinds[0], label="Model")
                self.hub_id = gr.Textbox(label="Hugging Face id", placeholder="e.g. distilbert-base-uncased",
                                         visible=False, info="Loaded from the local cache when offline.")
                self.folder = gr.Dropdown([str(p) for p in api.context.places.folders], label="Model folder", visible=False,
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
        self.playground()
        self.wire()

    def playground(self) -> None:
        """The playground for the model in view: fill-mask / next token where the model ships a trained
        language-model head, else sentence similarity (never random guesses)."""
        offer = self.api.models.playground(self.state["view"].value)
        with gr.Accordion("Try the model in view", open=False):
            with gr.Column(visible=offer != "similarity") as self.fill_box:
                gr.Markdown("Encoders guess each `[MASK]`; decoders (GPT-2, Llama, SmolLM2) guess the next token. "
                            "For a run with a pre-training stage, its pre-trained model (with its trained head) is "
                            "used.")
                with gr.Row():
                    self.fill_text = gr.Textbox(FILL_TEXT[offer == "next"], label="Text", scale=4, max_lines=6)
                    self.fill_top = gr.Slider(1, 20, value=5, step=1, label="Top k", scale=1)
                with gr.Row():
                    self.fill_button = gr.Button("Predict", variant="primary")
                    self.to_attention = gr.Button("Attention of this position", interactive=False)
                self.fill_label = gr.Label(label="First predicted position", num_top_classes=20)
                self.fill_table = gr.Dataframe(label="All predictions", interactive=False, wrap=True)
            with gr.Column(visible=offer == "similarity") as self.similar_box:
                gr.Markdown("This model ships without a trained language-model head, so it cannot guess a hidden "
                            "word (its guesses would be random). What it does well is place sentences by meaning: "
                            "see which of your sentences it finds closest to the first one.")
                with gr.Row():
                    self.sim_text = gr.Textbox(SIMILAR_TEXT, label="Sentence", scale=2, max_lines=4)
                    self.sim_others = gr.Textbox(SIMILAR_OTHERS, label="Compare with (one sentence per line)",
                                                 lines=4, scale=3)
                self.sim_button = gr.Button("Compare", variant="primary")
                self.sim_table = gr.Dataframe(headers=["sentence", "similarity"], interactive=False, wrap=True,
                                              label="Closest first (cosine similarity, 1 = same meaning)")
            self.attention_target = gr.State(None)
            self.fill_result = gr.State(None)

    def run_list(self) -> list[tuple[str, str]]:
        return run_choices(self.api.runs.list_runs(), with_model=True)

    def restore_runs(self) -> dict[Any, Any]:
        """On page load: the runs this account may open (the list built with the page knows no account)."""
        return {self.run: gr.Dropdown(choices=self.run_list())}

    def wire(self) -> None:
        st = self.state
        self.kind.change(self.show_inputs, self.kind, [self.hub_id, self.folder, self.run_row],
                         api_visibility="private")
        self.refresh.click(lambda: gr.Dropdown(choices=self.run_list()), None, self.run, api_visibility="private")
        chosen = {self.kind, self.hub_id, self.folder, self.run}
        choosing = [self.load, self.as_base]  # loading a model takes seconds: both wait for it
        busy(self.load.click, choosing, self.on_load, chosen, st["view"], api_visibility="private")
        busy(self.as_base.click, choosing, self.on_as_base, chosen, st["base"], api_visibility="private")
        st["view"].change(self.describe, st["view"], [self.description, self.facts], api_visibility="private")
        st["view"].change(self.on_playground, [st["view"], self.fill_text],
                          [self.fill_box, self.similar_box, self.fill_text], api_visibility="private")
        for source in (st["view"], st["base"]):
            source.change(choices_markdown, [st["view"], st["base"]], self.choices, api_visibility="private")
        fill_out = [self.fill_label, self.fill_table, self.fill_result, self.to_attention]
        for trigger in (self.fill_button.click, self.fill_text.submit):
            busy(trigger, [self.fill_button], self.on_fill, [self.fill_text, self.fill_top, st["view"]], fill_out,
                 api_visibility="private", **HEAVY)
        for trigger in (self.sim_button.click, self.sim_text.submit):
            busy(trigger, [self.sim_button], self.on_similar, [self.sim_text, self.sim_others, st["view"]],
                 self.sim_table, api_visibility="private", **HEAVY)
        self.to_attention.click(attention_target, self.fill_result, self.attention_target, api_visibility="private")

    @friendly_errors
    def on_fill(self, text: str, top: float, ref: str | None) -> tuple[Any, ...]:
        result = self.api.predictions.fill(text, ref or DEFAULT, int(top))
        warn_all(result["warnings"])
        first = {g["token"].strip() or repr(g["token"]): g["probability"] for g in result["predictions"][0]}
        return (first, predictions_frame(result), {**result, "text": text, "ref": ref or DEFAULT},
                gr.update(interactive=True))

    @friendly_errors
    def on_similar(self, text: str, others: str, ref: str | None) -> pd.DataFrame:
        rows = self.api.predictions.similarity(text, others, ref or DEFAULT)
        return pd.DataFrame([[r["text"], round(r["similarity"], 3)] for r in rows], columns=["sentence", "similarity"])

    def on_playground(self, ref: str | None, text: str | None) -> dict[Any, Any]:
        """Offer fill-mask / next token only for a model with a trained language-model head, else sentence
        similarity; the example text follows the kind of model (a decoder continues a text, it has no [MASK])."""
        offer = self.api.models.playground(ref or DEFAULT)
        fits = ("[MASK]" in (text or "")) == (offer == "fill")
        return {self.fill_box: gr.update(visible=offer != "similarity"),
                self.similar_box: gr.update(visible=offer == "similarity"),
                self.fill_text: gr.skip() if fits or offer == "similarity" else FILL_TEXT[offer == "next"]}

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
        return ModelRef.choice(kind, str(value)).format()

    @friendly_errors
    def on_load(self, values: dict[Any, Any]) -> str:
        ref = self.chosen_ref(values)
        loaded = self.api.models.load_model(ref)  # loads now, so errors show here rather than in Predict
        warn_all(loaded["warnings"])
        return ref

    @friendly_errors
    def on_as_base(self, values: dict[Any, Any]) -> str:
        ref = self.chosen_ref(values)
        if ModelRef.parse(ref).kind != HUB:  # a hub id may be fetched when training starts; the rest must load now
            self.api.models.load_model(ref)
        info(f"The Train tab will fine-tune {model_name(ref)}.")
        return ref

    def describe(self, ref: str | None) -> dict[Any, Any]:
        """Describe the model in view (on page load and whenever it changes), without a popup."""
        try:
            info = self.api.models.describe(ref or DEFAULT)
        except gr.Error as exc:  # shown in place; the load button gives the popup
            return {self.description: f"Could not load {model_name(ref)}: {exc.message}",
                    self.facts: gr.update(visible=False)}
        return {self.description: model_markdown(info), self.facts: gr.update(value=info, visible=True)}


def attention_target(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the Attention tab opens: the text, the model and the first predicted position (token index)."""
    if not result:
        return None
    position = result["positions"][0]
    return {"text": result["text"], "model": result["ref"], "position": position,
            "token": result["tokens"][position], "mode": result["mode"]}
