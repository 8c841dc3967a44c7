"""Attention tab: see what every head does, for the selected model (default, a folder or a run).

Views: one head, the model grid (every layer x head), aggregates (mean, rollout, [CLS]/last token),
per-head statistics, base vs fine-tuned (runs only), head importance (masking) and integrated-gradients
attributions, each exportable as PNG or standalone HTML. Handlers only read inputs, call core and
format; the drawing is ``core.plots``, the numbers ``core.attention``.
Gradio's plot does not report plotly clicks, so a head is opened with the layer/head sliders or by
selecting a row of the top-heads table. Heavy results (importance, attributions, comparison) are kept
for the last few inputs so moving a slider does not recompute them.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from core.attention.attributions import CAVEAT, attribution_html, integrated_gradients, resolve_target
from core.attention.extract import extract_attention
from core.attention.heads import compare_run, head_importance, head_statistics, rank_heads
from core.errors import DataError
from core.inference import load_for_inference
from core.plots import attention as plots
from core.plots import heads as head_plots
from core.plots.export import export_html, export_png
from ui.common import friendly_errors, warn_all

VIEWS = {"Head": "head", "Model grid": "grid", "Aggregates": "aggregates", "Head statistics": "stats",
         "Base vs fine-tuned": "diff", "Head importance": "importance", "Attributions": "attributions"}
GRID_NOTE = ("The grid cannot be clicked (Gradio plots do not report clicks): choose a layer and head with the "
             "sliders, or select a row of the top-heads table, to open that head.")
TABLE_COLUMNS = ["layer", "head", "score", "what"]
_HEAVY: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _cached(key: tuple[Any, ...], compute: Any) -> Any:
    if key not in _HEAVY:
        _HEAVY[key] = compute()
        while len(_HEAVY) > 6:
            _HEAVY.popitem(last=False)
    _HEAVY.move_to_end(key)
    return _HEAVY[key]


def _table(rows: list[dict[str, Any]], key: str, what: str) -> pd.DataFrame:
    return pd.DataFrame([[r["layer"], r["head"], round(r[key], 5), what] for r in rows], columns=TABLE_COLUMNS)


def render(model: str, text: str, pair: str, view: str, layer: int, head: int, threshold: float,
           show_special: bool, renormalise: bool, target: str | None) -> dict[str, Any]:
    """Compute one view: ``{"figure", "html", "table", "info", "layers", "heads", "labels"}`` (no gradio objects)."""
    kind = VIEWS.get(view, view)
    loaded = load_for_inference(model or "default")
    pair = pair if pair and pair.strip() else None
    result = extract_attention(loaded.model, loaded.tokenizer, text, pair)
    layers, heads = result.attentions.shape[:2]
    layer, head = min(int(layer), layers - 1), min(int(head), heads - 1)
    prediction = result.prediction or {}
    best = prediction.get("scores", {}).get(prediction.get("label"), 0.0)
    info = [f"**{loaded.source.display}** · {layers} layers × {heads} heads · {len(result.tokens)} tokens · "
            f"predicted **{prediction.get('label')}** ({best:.1%})"]
    out: dict[str, Any] = {"html": "", "table": pd.DataFrame(columns=TABLE_COLUMNS), "layers": layers,
                           "heads": heads, "labels": loaded.labels, "warnings": loaded.warnings}
    key = (loaded.source.location, text, pair)
    if kind in plots.STANDARD_VIEWS:
        out["figure"] = plots.standard_figure(kind, result, layer, head, threshold, show_special, renormalise)
        if kind in ("grid", "stats"):
            focused = rank_heads(-head_statistics(result.attentions)["entropy"], 10, key="score")
            out["table"] = _table([dict(r, score=-r["score"]) for r in focused], "score", "entropy (most focused)")
            info.append(GRID_NOTE)
    elif kind == "diff":
        comparison = _cached(key + ("diff",), lambda: compare_run(model, text, pair))
        out["figure"] = head_plots.divergence_figure(comparison.divergence, comparison.metric)
        out["table"] = _table(comparison.ranked(10), comparison.metric, "JS divergence base → fine-tuned")
        out["comparison"] = head_plots.comparison_figure(result.tokens, comparison.base.attentions[layer, head],
                                                    comparison.tuned.attentions[layer, head], layer, head,
                                                    result.causal, result.segment_boundary)
        info.append("Select a row of the table (or use the sliders) to see that head in both models.")
    elif kind == "importance":
        index = resolve_target(loaded.model, target)
        report = _cached(key + ("importance", index),
                         lambda: head_importance(loaded.model, loaded.tokenizer, text, pair, index))
        out["figure"] = head_plots.importance_figure(report["drop"], report["label"], report["probability"])
        out["table"] = _table(report["ranked"][:10], "drop", f"p({report['label']}) drop when masked")
        info.append("Each head's output is zeroed in turn (a hook on the attention output projection).")
    elif kind == "attributions":
        attribution = _cached(key + ("ig", target or None),
                              lambda: integrated_gradients(loaded.model, loaded.tokenizer, text, pair, target or None))
        hide = None if show_special else attribution.special
        out["figure"] = head_plots.attribution_figure(attribution.tokens, attribution.scores, attribution.label, hide)
        out["html"] = attribution_html(attribution.tokens, attribution.scores, hide,
                                       f"Integrated gradients for '{attribution.label}' "
                                       f"(p {attribution.value:.3f} vs {attribution.baseline_value:.3f} on the "
                                       f"pad-token baseline; completeness error {attribution.delta:+.1e})")
    else:
        raise DataError(f"Unknown view '{view}'.")
    out["info"] = "\n\n".join(info)
    return out


def _export(fmt: str, *inputs: Any) -> str:
    """Write the current view's main figure to a fresh temporary folder; returns the file path."""
    figure = render(*inputs)["figure"]
    folder = Path(tempfile.mkdtemp(prefix="tunescope-attention-"))
    name = f"attention-{VIEWS.get(inputs[3], 'view')}"
    if fmt.startswith("html"):
        return str(export_html(figure, folder / f"{name}.html"))
    path, engine = export_png(figure, folder / f"{name}.png")
    if engine != "kaleido":
        gr.Info("PNG drawn with matplotlib (kaleido/Chromium unavailable): the HTML export is the exact figure.")
    return str(path)


def build(model_source: gr.State) -> None:
    """Lay out the Attention tab inside the current ``gr.Tab``."""
    gr.Markdown(f"> ⚠️ {CAVEAT}")
    with gr.Row():
        text = gr.Textbox("The night train was delayed by four hours.", label="Text", lines=3,
                          placeholder="Type a text to look inside the model…")
        pair = gr.Textbox("", label="Second text (optional, for sentence-pair models)", lines=3)
    view = gr.Radio(list(VIEWS), value="Head", label="View")
    with gr.Row():
        layer = gr.Slider(0, 11, value=0, step=1, label="Layer")
        head = gr.Slider(0, 11, value=0, step=1, label="Head")
        threshold = gr.Slider(0.0, 0.5, value=0.0, step=0.01, label="Hide links weaker than (head & grid)")
    with gr.Row():
        show_special = gr.Checkbox(True, label="Show special tokens ([CLS], [SEP], padding)")
        renormalise = gr.Checkbox(False, label="When hidden, renormalise rows to sum to 1")
        target = gr.Dropdown([], value=None, label="Class to explain (importance, attributions; empty = predicted)",
                             allow_custom_value=True)
        show = gr.Button("Show attention", variant="primary")
    info = gr.Markdown()
    plot = gr.Plot(label="Attention")
    highlighted = gr.HTML()
    second = gr.Plot(label="Selected head in base and fine-tuned model", visible=False)
    top = gr.Dataframe(headers=TABLE_COLUMNS, label="Top heads (select a row to open that head)", interactive=False)
    with gr.Row():
        png = gr.Button("Export PNG")
        html = gr.Button("Export HTML")
        exported = gr.File(label="Exported figure")

    inputs = [model_source, text, pair, view, layer, head, threshold, show_special, renormalise, target]

    @friendly_errors
    def on_show(*values: Any) -> tuple[Any, ...]:
        if not values[1] or not str(values[1]).strip():
            raise gr.Error("Type a text to see its attention.")
        result = render(*values)
        warn_all(result["warnings"])
        comparison = result.get("comparison")
        return (result["info"], result["figure"], result["html"], result["table"],
                gr.Plot(comparison, visible=comparison is not None),
                gr.Slider(maximum=result["layers"] - 1), gr.Slider(maximum=result["heads"] - 1),
                gr.Dropdown(choices=result["labels"]))

    def on_pick(table: pd.DataFrame, current: str, event: gr.SelectData) -> tuple[Any, Any, Any]:
        row = table.iloc[event.index[0]]
        keep = current if VIEWS.get(current) in ("diff", "head") else "Head"
        return int(row["layer"]), int(row["head"]), keep

    @friendly_errors
    def on_export_png(*values: Any) -> str:
        return _export("png", *values)

    @friendly_errors
    def on_export_html(*values: Any) -> str:
        return _export("html", *values)

    outputs = [info, plot, highlighted, top, second, layer, head, target]

    def on_change(*values: Any) -> tuple[Any, ...]:  # redraw only once there is a text
        if not values[1] or not str(values[1]).strip():
            return tuple(gr.skip() for _ in outputs)
        return on_show(*values)

    show.click(on_show, inputs, outputs, api_name="attention")
    text.submit(on_show, inputs, outputs, api_visibility="private")
    for control in (view, show_special, renormalise):
        control.change(on_change, inputs, outputs, api_visibility="private")
    for control in (layer, head, threshold):
        control.release(on_change, inputs, outputs, api_visibility="private")
    top.select(on_pick, [top, view], [layer, head, view], api_visibility="private").then(
        on_show, inputs, outputs, api_visibility="private")
    png.click(on_export_png, inputs, exported, api_name="attention_export_png")
    html.click(on_export_html, inputs, exported, api_name="attention_export_html")
