"""The Attention tab's views computed as plain data: one function per request, no gradio objects.

``render`` extracts the attention of one text with the model in view and builds the chosen view's
figure, table and notes, plus the data of the interactive head and neuron views (``core.plots.headview``). Heavy results (base-vs-fine-tuned comparison, head importance, attributions)
are kept for the last inputs (at most 256 MB) in a locked cache keyed by the model files' versions, so moving a
slider does not recompute them. The drawing is ``core.plots``, the numbers ``core.attention``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

from core.attention.attributions import attribution_html, integrated_gradients, resolve_target
from core.attention.extract import extract_attention
from core.attention.heads import compare_run, head_importance, head_statistics, rank_heads
from core.attention.neurons import query_key
from core.errors import DataError
from core.inference import load_for_inference
from core.inference.loading import files_stamp, has_trained_head
from core.modelref import ModelLike, source_of
from core.plots import attention as plots
from core.plots import heads as head_plots
from core.plots.headview import head_view_data, neuron_view_data

VIEWS = {"Head": "head", "Neuron": "neuron", "Model grid": "grid", "Aggregates": "aggregates", "Head statistics": "stats",
         "Base vs fine-tuned": "diff", "Head importance": "importance", "Attributions": "attributions"}
GRID_NOTE = ("The grid cannot be clicked (Gradio plots do not report clicks): choose a layer and head with the "
             "sliders, or select a row of the top-heads table, to open that head.")
HEAD_NOTE = ("Lines: every head of the chosen layer (a colour per head; click a head's swatch to toggle it, "
             "double-click to see it alone). Hover a token to focus its links, click to pin. The heatmap below is "
             "the head chosen with the Head slider: the same weights.")
NEURON_NOTE = ("For one head and one query token: its query vector, each key vector, their element-wise "
               "products, and the scaled score whose softmax is the weight. Click a token to make it the query. Every "
               "token stays in this view (the softmax runs over all of them), whatever the special-token choice.")
TABLE_COLUMNS = ["layer", "head", "score", "what"]
HEAVY_STAGE = {"diff": "Comparing with the base model…", "importance": "Masking each head in turn…",
               "attributions": "Integrated gradients…"}
DEFAULT_SHAPE = (6, 12)
VIEW_TOKENS = 200  # the head view sends heads x T x T weights to the browser: ~3 MB at 200 tokens, 12 heads
HEAVY_CACHE_BYTES = 256 * 1024**2  # comparisons hold two [layers, heads, T, T] arrays: bound the total
_HEAVY: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
_HEAVY_LOCK = threading.Lock()


def _nbytes(value: Any) -> int:
    arrays = [getattr(getattr(value, name, None), "attentions", None) for name in ("base", "tuned")]
    return sum(int(a.nbytes) for a in arrays if a is not None) + 4096


def _cached(key: tuple[Any, ...], compute: Any) -> Any:
    """A heavy result (comparison, importance, attributions) for the last few inputs, shared and locked.

    Keys include the model files' modification times, so a model saved again is never served stale.
    Computing happens outside the lock; two requests for the same new key may both compute it.
    """
    with _HEAVY_LOCK:
        if key in _HEAVY:
            _HEAVY.move_to_end(key)
            return _HEAVY[key][0]
    value = compute()
    with _HEAVY_LOCK:
        _HEAVY[key] = (value, _nbytes(value))
        while len(_HEAVY) > 1 and sum(size for _, size in _HEAVY.values()) > HEAVY_CACHE_BYTES:
            _HEAVY.popitem(last=False)
    return value


def config_shape(config: Any) -> tuple[int, int]:
    """(layers, heads) of a transformers config (attribute maps cover n_layer / n_head)."""
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None) or 1
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None) or 1
    return int(layers), int(heads)


def model_shape(model: ModelLike) -> tuple[int, int]:
    """(layers, heads) from the model's config alone, without loading weights; (6, 12) if it cannot be read."""
    try:
        from transformers import AutoConfig

        source = source_of(model)
        gguf = getattr(source, "gguf_file", None)  # the embedded SmolLM2 decoder is a GGUF file
        extra = {"gguf_file": gguf} if gguf else {}
        return config_shape(AutoConfig.from_pretrained(source.location, **extra))
    except Exception:  # an unreadable or remote model: the first render sizes the sliders
        return DEFAULT_SHAPE


def trained_classifier(source: Any) -> bool:
    """False for a model whose classification head is new (the embedded default, a base model from the hub)."""
    return source.kind not in ("default", "hub", "folder", "gguf") or has_trained_head(source)


def _table(rows: list[dict[str, Any]], key: str, what: str) -> pd.DataFrame:
    return pd.DataFrame([[r["layer"], r["head"], round(r[key], 5), what] for r in rows], columns=TABLE_COLUMNS)


def _stages(should_stop: Callable[[], None] | None,
            progress: Callable[[float, str], Any] | None) -> Callable[[float, str], None]:
    """``stage(fraction, what)``: stop here when asked (cancel, time limit, page closed), else say what comes next."""
    def stage(fraction: float, what: str) -> None:
        if should_stop is not None:
            should_stop()
        if progress is not None:
            progress(fraction, what)

    return stage


def render(model: ModelLike, text: str, pair: str, view: str, layer: int, head: int, threshold: float,
           show_special: bool, renormalise: bool, target: str | None,
           should_stop: Callable[[], None] | None = None, focus: int | None = None,
           progress: Callable[[float, str], Any] | None = None) -> dict[str, Any]:
    """Compute one view: ``{"figure", "html", "view", "table", "info", "layers", "heads", "labels"}`` (no gradio
    objects). ``view`` is the interactive head/neuron view's data (None for other views); ``table`` is empty
    where a top-heads table means nothing (the tab hides it then). ``focus``: a token index the head view
    opens focused on (the Model tab's predicted position). Between its stages it calls ``should_stop`` (which
    raises to stop the work) and ``progress(fraction, what comes next)``."""
    kind = VIEWS.get(view, view)
    if kind not in VIEWS.values():
        raise DataError(f"Unknown view '{view}': choose one of {', '.join(VIEWS)}.")
    stage = _stages(should_stop, progress)
    stage(0.05, "Loading the model…")
    loaded = load_for_inference(model)
    pair = pair if pair and pair.strip() else None
    stage(0.25, "Reading the attention of every head…")
    result = extract_attention(loaded.model, loaded.tokenizer, text, pair)
    stage(0.5, "Drawing the view…" if kind in ("head", "neuron", *plots.STANDARD_VIEWS) else HEAVY_STAGE.get(kind, ""))
    layers, heads = result.attentions.shape[:2]
    layer, head = min(max(int(layer), 0), layers - 1), min(max(int(head), 0), heads - 1)
    prediction = result.prediction or {}
    best = prediction.get("scores", {}).get(prediction.get("label"), 0.0)
    if trained_classifier(loaded.source):
        line = (f"**{loaded.source.display}** · {layers} layers × {heads} heads · {len(result.tokens)} tokens · "
                f"predicted **{prediction.get('label')}** ({best:.1%})")
    else:  # a new head's label would be random: say so instead
        line = (f"**{loaded.source.display}** · {layers} layers × {heads} heads · {len(result.tokens)} tokens · "
                "no trained classifier yet, so no prediction")
    info = [line + (" · causal (decoder)" if result.causal else "")]
    out: dict[str, Any] = {"html": "", "view": None, "table": pd.DataFrame(columns=TABLE_COLUMNS), "layers": layers, "heads": heads,
                           "labels": loaded.labels, "warnings": loaded.warnings}
    key = (loaded.source.location, files_stamp(loaded.source.location), text, pair)
    if kind in ("head", "neuron"):
        out["figure"] = plots.standard_figure("head", result, layer, head, threshold, show_special, renormalise)
        if len(result.tokens) > VIEW_TOKENS:
            info.append(f"The {kind} view draws at most {VIEW_TOKENS} tokens and this input has "
                        f"{len(result.tokens)}: shorten the text to see it; the heatmap below shows every token.")
        elif kind == "head":
            out["view"] = head_view_data(result, layer, show_special, renormalise, threshold, focus=focus)
            info.append(HEAD_NOTE)
        else:
            stage(0.7, "Query and key vectors…")
            qk = query_key(loaded.model, loaded.tokenizer, text, pair, layer)
            out["view"] = neuron_view_data(qk, head)
            info.append(NEURON_NOTE)
    elif kind in plots.STANDARD_VIEWS:
        out["figure"] = plots.standard_figure(kind, result, layer, head, threshold, show_special, renormalise)
        if kind in ("grid", "stats"):
            stage(0.8, "Ranking the heads…")
            focused = rank_heads(-head_statistics(result.attentions)["entropy"], 10, key="score")
            out["table"] = _table([dict(r, score=-r["score"]) for r in focused], "score", "entropy (most focused)")
            info.append(GRID_NOTE)
    else:
        _heavy(kind, out, info, model, loaded, result, key, (text, pair, layer, head, show_special, target),
               should_stop)
    stage(0.95, "Sending the view…")
    out["info"] = "\n\n".join(info)
    return out


def _heavy(kind: str, out: dict[str, Any], info: list[str], model: ModelLike, loaded: Any, result: Any,
           key: tuple[Any, ...], inputs: tuple[Any, ...], should_stop: Callable[[], None] | None) -> None:
    """The cached views: base vs fine-tuned, head importance, attributions (fills ``out`` and ``info``)."""
    text, pair, layer, head, show_special, target = inputs
    if kind == "diff":
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
                         lambda: head_importance(loaded.model, loaded.tokenizer, text, pair, index,
                                                 should_stop=should_stop))
        out["figure"] = head_plots.importance_figure(report["drop"], report["label"], report["probability"])
        out["table"] = _table(report["ranked"][:10], "drop", f"p({report['label']}) drop when masked")
        info.append("Each head's output is zeroed in turn (a hook on the attention output projection).")
    else:
        attribution = _cached(key + ("ig", target or None),
                              lambda: integrated_gradients(loaded.model, loaded.tokenizer, text, pair, target or None,
                                                           should_stop=should_stop))
        hide = None if show_special else attribution.special
        out["figure"] = head_plots.attribution_figure(attribution.tokens, attribution.scores, attribution.label, hide)
        out["html"] = attribution_html(attribution.tokens, attribution.scores, hide,
                                       f"Integrated gradients for '{attribution.label}' "
                                       f"(p {attribution.value:.3f} vs {attribution.baseline_value:.3f} on the "
                                       f"pad-token baseline; completeness error {attribution.delta:+.1e})")
