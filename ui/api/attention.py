"""Attention: one Attention-tab view of a text for a model (``/attention``), its export as a file, and the
model's shape for the tab's sliders.

The views are computed as plain data by ``ui.api.attention_render`` (heavy results cached); here the text is
bounded, the work is guarded (it stops after 120 s, when its page closes, or when the page cancels it), attributions count as one of the
account's heavy jobs (``ui.api.quotas``) and memory is given back after. An exported view is a download of
the caller's (``ui.api.downloads``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import gradio as gr

from core.attention import attributions
from core.errors import TuneScopeError
from core.plots.attention import sized
from core.plots.export import export_html, export_png
from core.plots.headview import write_html
from ui.api.attention_render import config_shape, model_shape, render
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import checked_text, give_back_memory, guard, request_cancel

CAVEAT = attributions.CAVEAT  # what attention weights do not show, said above every view
ATTRIBUTIONS = ("Attributions", "attributions")  # the views that count as a heavy job of the account


class Attention:
    """Attention views, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def view(self, model: str | None, text: str, pair: str, view: str, layer: int, head: int, threshold: float,
             show_special: bool, renormalise: bool, target: str | None, focus: int | None = None,
             progress: Callable[[float, str], Any] | None = None) -> dict[str, Any]:
        """One view as ``ui.api.attention_render.render`` returns it (figures and tables as objects); it stops at
        its next stage once its page asks (``cancel``), and reports its stages to ``progress``."""
        source = self.context.source(model)
        text, pair = checked_text(text), checked_text(pair, "second text")
        counted = self.context.quotas.heavy(self.context.caller()) if view in ATTRIBUTIONS else contextlib.nullcontext()
        try:
            with counted:
                return render(source, text, pair, view, layer, head, threshold, show_special, renormalise, target,
                              should_stop=guard(), focus=focus, progress=progress)
        finally:
            give_back_memory()

    @friendly_errors
    def attention(self, text: str, model: str = "default", view: str = "Head", layer: int = 0, head: int = 0,
                  text_pair: str = "", threshold: float = 0.0, show_special: bool = True, renormalise: bool = False,
                  target: str | None = None) -> dict[str, Any]:
        """One Attention-tab view as data: ``{"info", "figure" (plotly JSON), "table", "view" (the head or neuron
        view's data for ``core.plots.headview``, else None), "layers", "heads", ...}``."""
        text, text_pair = checked_text(text), checked_text(text_pair, "second text")
        if not text.strip():
            raise gr.Error("Type a text to see its attention.")
        result = self.view(model, text, text_pair, view, layer, head, threshold, show_special, renormalise, target)
        out = {k: result[k] for k in ("info", "html", "view", "layers", "heads", "labels", "warnings")}
        out["figure"] = json.loads(result["figure"].to_json())
        out["table"] = result["table"].to_dict("records")
        return out

    def export(self, fmt: str, result: dict[str, Any], name: str) -> tuple[str, str]:
        """Write a view's main figure into the caller's download area as ``fmt`` ('png' or 'html'; the head and
        neuron views as their interactive offline page): (the file's path, the engine that drew it)."""
        with self.context.download(f"{name}.{'html' if fmt == 'html' else 'png'}", heavy=False) as target:
            if fmt == "html" and result.get("view"):  # the interactive view itself, as one offline file
                return str(write_html(result["view"], target)), "html"
            if fmt == "html":
                return str(export_html(result["figure"], target)), "html"
            path, engine = export_png(sized(result["figure"]), target)
        return str(path), engine

    def cancel(self, request: Any = None) -> bool:
        """Ask the views this page started to stop at their next stage (the tab's *Cancel*)."""
        return request_cancel(request)

    def shape(self, model: str | None) -> tuple[int, int]:
        """(layers, heads) of a model from its config alone, without loading weights; (6, 12) when unreadable."""
        return model_shape(self.context.source(model))

    def model_facts(self, model: str | None) -> dict[str, Any] | None:
        """A loaded model's layers, heads and labels (for the sliders and the class menu); None when it cannot load."""
        try:
            loaded = self.context.load(model)
        except TuneScopeError:
            return None
        layers, heads = config_shape(loaded.model.config)
        return {"layers": layers, "heads": heads, "labels": loaded.labels}
