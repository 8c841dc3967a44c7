"""Attention tab: see what every head does, for the model in view (default, a folder or a run).

Views: the head view (lines between tokens for every head of a layer, drawn in the browser by
``core.plots.headview``'s JS through ``gr.HTML``'s ``js_on_load``, with the chosen head's heatmap below), the
neuron view (query/key vectors of one head), the model grid (every layer x head), aggregates (mean,
rollout, [CLS]/last token), per-head statistics, base vs fine-tuned (runs only), head importance (masking)
and integrated-gradients attributions, each exportable as PNG or standalone HTML (the head and neuron
views export as their interactive page). The sliders are sized for the model in view when the page is
built and whenever it changes; the top-heads table shows only on the views it ranks heads for. The numbers and figures come from
``ui.api.attention`` (``ui.api.attention_render``); handlers read their inputs by name and return updates keyed by component.
Every view runs as a queued heavy event with its stages shown as progress; *Cancel* stops it (``ui.tabs.busy``).
Gradio's plot does not report plotly clicks, so a head is opened with the layer/head sliders or by
selecting a row of the top-heads table.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.attention import CAVEAT
from ui.api.attention_render import TABLE_COLUMNS, VIEWS
from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import view_js, view_json
from ui.api.limits import HEAVY
from ui.api.session import model_name
from ui.i18n.languages import tr
from ui.tabs.busy import busy, cancel_button
from ui.tabs.format import md_inline
from ui.tabs.notices import info, warn_all

EXAMPLE = "The night train was delayed by four hours."
# gr.HTML runs this once per page; it redraws whenever the value (the view's JSON) changes.
VIEW_LOADER = view_js() + """
const draw = () => {
  const host = element.querySelector('.ts-host') || element;
  let data = null;
  try { data = props.value ? JSON.parse(props.value) : null; } catch (error) { data = null; }
  tsRender(host, data);
};
draw();
watch('value', draw);
"""


# the interactive views' own words (core/plots/*.js ask for them by their English, K.t)
VIEW_TEXTS = ("Layer", "Attention", "Hide below", "Heads", "all", "show every head", "[pinned]",
              "Hover a token to focus its links (left: what it attends to; right: what attends to it); click to pin, "
              "click again or press Esc to release.",
              "{0}: {1} attends most to (mean of {2} heads): {3}", "{0}: {1} is attended most by (mean of {2} heads): {3}",
              "head {0}: click to toggle, double-click to show only this head", "head {0}: click to show it",
              # the neuron view's (core/plots/neuronview.js)
              "Head", "Keys in order of", "position", "weight", "query token", "query q  /  key k",
              "q × k (element-wise)", "q·k × scale + other", "q·k × scale", "masked: a future token (causal model)",
              "blue = positive, orange = negative; stronger colour = larger |value|", "{0}: {1} — head {2}, layer {3}.",
              "With the unrounded vectors, these softmax weights equal the model's own to {0} (every head and query of "
              "this layer). Click a token on the left to make it the query.",
              "These softmax weights differ from the model's own by up to {0} (see the notes; every head and query of "
              "this layer). Click a token on the left to make it the query.")


def shown_view(view: dict[str, Any]) -> dict[str, Any]:
    """The interactive view's data with its title, notes and own words in the page's language."""
    return {**view, "title": tr(view.get("title", "")), "notes": [tr(note) for note in view.get("notes", [])],
            "texts": {text: tr(text) for text in VIEW_TEXTS}}


class AttentionTab:
    """The Attention tab's components and handlers."""

    def __init__(self, api: Api, state: dict[str, Any]) -> None:
        self.api = api
        self.state = state
        gr.Markdown(f"> ⚠️ {CAVEAT}")
        self.model_note = gr.Markdown(f"Model in view: **{model_name(None)}**")
        with gr.Row():
            self.text = gr.Textbox(EXAMPLE, label="Text", lines=3, placeholder="Type a text to look inside the model…")
            self.pair = gr.Textbox("", label="Second text (optional, for sentence-pair models)", lines=3)
        self.view = gr.Radio(list(VIEWS), value="Head", label="View")
        layers, heads = api.attention.shape(state["view"].value)
        with gr.Row():
            self.layer = gr.Slider(0, layers - 1, value=0, step=1, label="Layer")
            self.head = gr.Slider(0, heads - 1, value=0, step=1, label="Head")
            self.threshold = gr.Slider(0.0, 0.5, value=0.0, step=0.01, label="Hide links weaker than (head & grid)")
        with gr.Row():
            self.show_special = gr.Checkbox(True, label="Show special tokens ([CLS], [SEP], padding)")
            self.renormalise = gr.Checkbox(False, label="When hidden, renormalise rows to sum to 1")
            self.target = gr.Dropdown([], value=None, allow_custom_value=True,
                                      label="Class to explain (importance, attributions; empty = predicted)")
            self.show = gr.Button("Show attention", variant="primary")
            self.cancel = gr.Button("Cancel", variant="stop", interactive=False, elem_id="tunescope-attention-cancel")
        self.info = gr.Markdown()
        self.interactive = gr.HTML("", html_template="<div class='ts-host'></div>", js_on_load=VIEW_LOADER,
                                   apply_default_css=False, visible=False, elem_id="tunescope-attention-view")
        self.plot = gr.Plot(label="Attention")
        self.highlighted = gr.HTML()
        self.second = gr.Plot(label="Selected head in base and fine-tuned model", visible=False)
        self.top = gr.Dataframe(headers=TABLE_COLUMNS, label="Top heads (select a row to open that head)",
                                interactive=False, visible=False)
        with gr.Row():
            self.png = gr.Button("Export PNG")
            self.html = gr.Button("Export HTML")
            self.exported = gr.File(label="Exported figure")
        self.focus = gr.State(None)  # a token index to open the head view on (from the Model tab's playground)
        self.wire()

    def open_position(self, target: dict[str, Any] | None) -> dict[Any, Any]:
        """Show the attention of a predicted position: the playground's text, the head view, that token focused."""
        if not target:
            return {self.focus: gr.skip()}
        return {self.text: target["text"], self.pair: "", self.view: "Head", self.focus: int(target["position"])}

    @property
    def inputs(self) -> set[Any]:
        return {self.state["view"], self.text, self.pair, self.view, self.layer, self.head, self.threshold,
                self.show_special, self.renormalise, self.target, self.focus}

    @property
    def outputs(self) -> list[Any]:
        return [self.info, self.interactive, self.plot, self.highlighted, self.top, self.second, self.layer,
                self.head, self.target]

    def wire(self) -> None:
        """Every view is a queued heavy event: Show and the exports wait (disabled) while one runs, its stages
        show as progress on the view, and Cancel stops it (``ui.tabs.busy``); other tabs keep answering."""
        inputs, outputs = self.inputs, self.outputs
        buttons = [self.show, self.png, self.html]
        heavy = {**HEAVY, "api_visibility": "private", "cancel": self.cancel}
        redraw = {**heavy, "trigger_mode": "always_last"}
        events = [busy(self.show.click, buttons, self.on_show, inputs, outputs, **heavy),
                  busy(self.text.submit, buttons, self.on_show, inputs, outputs, **heavy)]
        self.text.input(lambda: None, None, self.focus, api_visibility="private")  # a new text: no focused token
        chosen = self.view.change(self.on_view, {self.state["view"], self.view, self.layer}, [self.layer],
                                  api_visibility="private")
        events.append(busy(chosen.then, buttons, self.on_change, inputs, outputs, **redraw))
        for control in (self.show_special, self.renormalise):
            events.append(busy(control.change, buttons, self.on_change, inputs, outputs, **redraw))
        for control in (self.layer, self.head, self.threshold):
            events.append(busy(control.release, buttons, self.on_change, inputs, outputs, **redraw))
        picked = self.top.select(self.on_pick, [self.top, self.view], [self.layer, self.head, self.view],
                                 api_visibility="private")
        events.append(busy(picked.then, buttons, self.on_show, inputs, outputs, **heavy))
        events.append(busy(self.png.click, buttons, self.export_png, inputs, self.exported, **heavy))
        events.append(busy(self.html.click, buttons, self.export_html, inputs, self.exported, **heavy))
        cancel_button(self.cancel, events, buttons, self.api.attention.cancel)
        view_model = self.state["view"]
        self.redraws = [(self.note, view_model, [self.model_note])]  # server-made text a language switch redraws
        view_model.change(self.on_model, view_model, [self.model_note, self.layer, self.head, self.target],
                          api_visibility="private")

    def render_values(self, values: dict[Any, Any], progress: Any = None) -> dict[str, Any]:
        stages = (lambda fraction, what: progress(fraction, desc=what)) if progress is not None else None
        return self.api.attention.view(values[self.state["view"]], values[self.text], values[self.pair],
                                       values[self.view], values[self.layer], values[self.head], values[self.threshold],
                                       values[self.show_special], values[self.renormalise], values[self.target],
                                       focus=values.get(self.focus), progress=stages)

    @friendly_errors
    def on_show(self, values: dict[Any, Any], progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        if not values[self.text] or not str(values[self.text]).strip():
            raise gr.Error("Type a text to see its attention.")
        result = self.render_values(values, progress)
        warn_all(result["warnings"])
        comparison = result.get("comparison")
        view = result.get("view")
        return {self.info: result["info"], self.plot: result["figure"], self.highlighted: result["html"],
                self.interactive: gr.HTML(view_json(shown_view(view)) if view else "", visible=view is not None),
                self.top: gr.Dataframe(result["table"], visible=len(result["table"]) > 0),
                self.second: gr.Plot(comparison, visible=comparison is not None),
                self.layer: gr.Slider(maximum=result["layers"] - 1), self.head: gr.Slider(maximum=result["heads"] - 1),
                self.target: gr.Dropdown(choices=result["labels"])}

    def on_change(self, values: dict[Any, Any],
                  progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008  redraw once there is a text
        if not values[self.text] or not str(values[self.text]).strip():
            return {}
        return self.on_show(values, progress)

    def on_pick(self, table: pd.DataFrame, current: str, event: gr.SelectData) -> tuple[Any, Any, Any]:
        row = table.iloc[event.index[0]]  # by position: the headers may come back translated
        keep = current if VIEWS.get(current) in ("diff", "head") else "Head"
        return int(row.iloc[TABLE_COLUMNS.index("layer")]), int(row.iloc[TABLE_COLUMNS.index("head")]), keep

    def on_view(self, values: dict[Any, Any]) -> dict[Any, Any]:
        """Aggregates start on the last layer: mean of its heads and rollout through every layer."""
        if VIEWS.get(values[self.view]) != "aggregates":
            return {self.layer: gr.skip()}
        layers, _ = self.api.attention.shape(values[self.state["view"]])
        return {self.layer: gr.Slider(value=layers - 1)}

    def note(self, ref: str | None) -> str:
        """The line naming the model in view (drawn again when the page's language changes: ``redraws``)."""
        return f"Model in view: **{md_inline(model_name(ref))}**"

    def on_model(self, ref: str | None) -> dict[Any, Any]:
        """A new model in view: name it, and size the layer/head sliders and classes to it."""
        updates: dict[Any, Any] = {self.model_note: self.note(ref)}
        facts = self.api.attention.model_facts(ref)
        if facts is None:
            return updates
        return {**updates, self.layer: gr.Slider(maximum=facts["layers"] - 1, value=0),
                self.head: gr.Slider(maximum=facts["heads"] - 1, value=0),
                self.target: gr.Dropdown(choices=facts["labels"])}

    def export_png(self, values: dict[Any, Any], progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return self.export("png", values, progress)

    def export_html(self, values: dict[Any, Any], progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return self.export("html", values, progress)

    @friendly_errors
    def export(self, fmt: str, values: dict[Any, Any], progress: Any = None) -> str:
        """Write the current view's main figure to a fresh temporary folder; returns the file path."""
        result = self.render_values(values, progress)
        path, engine = self.api.attention.export(fmt, result, f"attention-{VIEWS.get(values[self.view], 'view')}")
        if fmt == "png" and engine != "kaleido":
            info("PNG drawn with matplotlib (kaleido/Chromium unavailable): the HTML export is the exact figure.")
        return path
