"""The Attention tab's views computed as plain data: one function per request, no gradio objects.

``render`` extracts the attention of one text with the model in view and builds the chosen view's
figure, table and notes. Heavy results (base-vs-fine-tuned comparison, head importance, attributions)
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
from core.errors import DataError
from core.inference import load_for_inference
from core.inference.loading import files_stamp
from core.plots import attention as plots
from core.plots import heads as head_plots

VIEWS = {"Head": "head", "Model grid": "grid", "Aggregates": "aggregates", "Head statistics": "stats",
         "Base vs fine-tuned": "diff", "Head importance": "importance", "Attributions": "attributions"}
GRID_NOTE = ("The grid cannot be clicked (Gradio plots do not report clicks): choose a layer and head with the "
             "sliders, or select a row of the top-heads table, to open that head.")
TABLE_COLUMNS = ["layer", "head", "score", "what"]
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


def _table(rows: list[dict[str, Any]], key: str, what: str) -> pd.DataFrame:
    return pd.DataFrame([[r["layer"], r["head"], round(r[key], 5), what] for r in rows], columns=TABLE_COLUMNS)


def render(model: str, text: str, pair: str, view: str, layer: int, head: int, threshold: float,
           show_special: bool, renormalise: bool, target: str | None,
           should_stop: Callable[[], None] | None = None) -> dict[str, Any]:
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
    key = (loaded.source.location, files_stamp(loaded.source.location), text, pair)
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
                         lambda: head_importance(loaded.model, loaded.tokenizer, text, pair, index,
                                                 should_stop=should_stop))
        out["figure"] = head_plots.importance_figure(report["drop"], report["label"], report["probability"])
        out["table"] = _table(report["ranked"][:10], "drop", f"p({report['label']}) drop when masked")
        info.append("Each head's output is zeroed in turn (a hook on the attention output projection).")
    elif kind == "attributions":
        attribution = _cached(key + ("ig", target or None),
                              lambda: integrated_gradients(loaded.model, loaded.tokenizer, text, pair, target or None,
                                                           should_stop=should_stop))
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
