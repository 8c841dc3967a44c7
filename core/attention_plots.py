"""Plotly figures for the attention studio, built from plain data (tokens, numpy arrays, dicts).

Pure functions: no model, no file, no gradio. Each takes what ``core.attention``, ``core.heads`` and
``core.explain`` return and gives back a ``go.Figure`` that works offline (exports inline plotly.js).
Figures are declared as dicts with explicit panel domains (no ``make_subplots``/``update_*`` calls:
those cost ~100 ms a figure). Large inputs stay light for the browser: the model-view grid pools each
head's T x T matrix to at most ``GRID_CELLS`` x ``GRID_CELLS`` and says so in its title; the
threshold blanks weak links. Hiding special tokens is a data step (``view_tokens``) shared by views.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.attention import AttentionResult, attention_from, drop_special, mean_over_heads, pool, rollout
from core.errors import DataError
from core.heads import head_statistics, rank_heads

GRID_CELLS = 32
MASKED_COLOR = "#d5d9de"
HOVER = "from %{y}<br>to %{x}<br>weight %{z:.4f}<extra></extra>"


def _labels(tokens: list[str]) -> list[str]:
    """Axis labels ``index:token``; byte-level BPE's space marker Ġ is shown as ␣."""
    return [f"{i}:{t.replace('Ġ', '␣')}" for i, t in enumerate(tokens)]


def _title(title: str, notes: list[str]) -> dict[str, Any]:
    notes = [n for n in notes if n]
    text = title + ("<br><sup>" + "; ".join(notes) + "</sup>" if notes else "")
    return dict(text=text, font=dict(size=14))


# A small explicit white style: a full named template is deep-copied and validated on every figure
# (50-100 ms each here), more than all the data.
_AXIS = dict(gridcolor="#EBF0F8", linecolor="#EBF0F8", zerolinecolor="#EBF0F8", ticks="")
STYLE = dict(layout=dict(font=dict(color="#2a3f5f"), paper_bgcolor="white", plot_bgcolor="white",
                         xaxis=_AXIS, yaxis=_AXIS, hoverlabel=dict(align="left")))


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    base = dict(template=STYLE, margin=dict(l=60, r=20, t=80, b=50))
    return go.Figure(data=traces, layout={**base, **layout})


def _panels(widths: list[float], gap: float = 0.07) -> list[list[float]]:
    """Horizontal x-domains for panels of relative ``widths`` separated by ``gap``."""
    usable = 1.0 - gap * (len(widths) - 1)
    total, start, out = sum(widths), 0.0, []
    for width in widths:
        end = start + usable * width / total
        out.append([start, min(1.0, end)])
        start = end + gap
    return out


def _panel_layout(domains: list[list[float]], titles: list[str], size: int) -> dict[str, Any]:
    """Axes for side-by-side panels (``x``/``y``, ``x2``/``y2``, ...) and their titles."""
    layout: dict[str, Any] = {"annotations": []}
    for k, (domain, title) in enumerate(zip(domains, titles, strict=True), 1):
        suffix = "" if k == 1 else str(k)
        small = size > 80
        layout[f"xaxis{suffix}"] = dict(domain=domain, anchor=f"y{suffix}", tickangle=-60, tickfont=dict(size=8),
                                        showticklabels=not small)
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", autorange="reversed", tickfont=dict(size=8),
                                        showticklabels=not small)
        layout["annotations"].append(dict(text=title, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    return layout


def view_tokens(tokens: list[str], matrix: np.ndarray, special: list[bool], show_special: bool = True,
                renormalise: bool = False) -> tuple[list[str], np.ndarray, str]:
    """Apply the special-token choice to ``[..., T, T]``; returns (tokens, matrix, a note saying what was done)."""
    if show_special or not any(special):
        return tokens, matrix, ""
    matrix, keep = drop_special(matrix, special, renormalise)
    note = "special tokens hidden; rows renormalised to sum to 1" if renormalise else \
        "special tokens hidden; rows not renormalised (the missing mass went to special tokens)"
    return [tokens[i] for i in keep], matrix, note


def _shown(matrix: np.ndarray, threshold: float = 0.0, causal: bool = False) -> np.ndarray:
    """float32 copy with weak links (< threshold) and a decoder's masked future set to NaN (blank)."""
    shown = np.array(matrix, dtype=np.float32, copy=True)
    if threshold > 0:
        shown[shown < threshold] = np.nan
    if causal:
        shown[np.triu_indices(shown.shape[-1], 1)] = np.nan
    return shown


def _boundary(boundary: int | None, size: int, axis: str = "") -> list[dict[str, Any]]:
    if boundary is None or not 0 < boundary < size:
        return []
    style = dict(color="#d9480f", width=2, dash="dash")
    ref = dict(xref=f"x{axis}", yref=f"y{axis}")
    at = boundary - 0.5
    return [dict(type="line", x0=at, x1=at, y0=-0.5, y1=size - 0.5, line=style, **ref),
            dict(type="line", x0=-0.5, x1=size - 0.5, y0=at, y1=at, line=style, **ref)]


def head_figure(tokens: list[str], matrix: np.ndarray, title: str, threshold: float = 0.0,
                causal: bool = False, boundary: int | None = None, note: str = "") -> go.Figure:
    """Head view: token-to-token heatmap (rows = queries attend to columns = keys) with hover values.

    Weights under ``threshold`` are blanked; for decoders the masked future (upper triangle) is drawn
    grey; ``boundary`` (first token of the second text) is marked by dashed lines.
    """
    size = len(tokens)
    labels = _labels(tokens)
    trace = dict(type="heatmap", z=_shown(matrix, threshold, causal), x=labels, y=labels, colorscale="Blues",
                 zmin=0, zmax=1, hovertemplate=HOVER, hoverongaps=False)
    notes = [note, f"links under {threshold:g} hidden" if threshold > 0 else "",
             "causal mask: grey cells are future tokens a decoder cannot see" if causal else "",
             "dashed line: start of the second text" if boundary else ""]
    side = min(860, max(460, 14 * size + 200))
    ticks = size <= 160
    return _figure([trace], dict(
        title=_title(title, notes), height=side, width=side + 60, shapes=_boundary(boundary, size),
        plot_bgcolor=MASKED_COLOR if causal else "white",
        xaxis=dict(title="key (attends to)", tickangle=-60, tickfont=dict(size=9), showticklabels=ticks,
                   automargin=True),
        yaxis=dict(title="query (attends from)", autorange="reversed", tickfont=dict(size=9), showticklabels=ticks,
                   automargin=True),
    ))


def model_grid_figure(attentions: np.ndarray, title: str = "Model view", threshold: float = 0.0,
                      causal: bool = False, cells: int = GRID_CELLS) -> go.Figure:
    """Model view: every layer (rows) x head (columns) as small multiples in one heatmap trace.

    Matrices longer than ``cells`` tokens are pooled (query rows averaged, key columns summed) so the
    browser gets at most ``cells`` x ``cells`` per head; the title says when that happened.
    """
    layers, heads, size = attentions.shape[0], attentions.shape[1], attentions.shape[-1]
    pooled, block = pool(attentions, cells)
    side = pooled.shape[-1]
    gap = max(1, side // 10)
    step = side + gap
    canvas = np.full((layers * step - gap, heads * step - gap), np.nan, dtype=np.float32)
    tiles = _shown(pooled, threshold)
    if causal and block == 1:
        tiles[..., np.triu_indices(side, 1)[0], np.triu_indices(side, 1)[1]] = np.nan
    for layer in range(layers):
        for head in range(heads):
            canvas[layer * step:layer * step + side, head * step:head * step + side] = tiles[layer, head]
    trace = dict(type="heatmap", z=canvas, colorscale="Blues", zmin=0, zmax=1, hoverongaps=False,
                 hovertemplate="weight %{z:.3f}<extra></extra>", showscale=False)
    centers = [i * step + (side - 1) / 2 for i in range(max(layers, heads))]
    notes = [f"{size} tokens pooled to {side}x{side} per head (blocks of {block})" if block > 1 else f"{size} tokens",
             "pick a layer and head to open one", f"links under {threshold:g} hidden" if threshold > 0 else ""]
    width = min(1100, 90 + heads * 70)
    return _figure([trace], dict(
        title=_title(title, notes), height=int(width * layers / heads) + 130, width=width,
        xaxis=dict(tickvals=centers[:heads], ticktext=[f"H{h}" for h in range(heads)], side="top", showgrid=False,
                   zeroline=False, constrain="domain"),
        yaxis=dict(tickvals=centers[:layers], ticktext=[f"L{i}" for i in range(layers)], autorange="reversed",
                   showgrid=False, zeroline=False, scaleanchor="x"),
    ))


def aggregates_figure(tokens: list[str], mean: np.ndarray, rolled: np.ndarray, summary: np.ndarray, layer: int,
                      summary_name: str, causal: bool = False, boundary: int | None = None,
                      note: str = "") -> go.Figure:
    """Three panels: ``mean`` over heads (one layer, T x T), ``rolled`` rollout up to that layer (T x T),
    and ``summary`` = attention from the summary token ([CLS], or the last token for decoders) per layer."""
    labels, size = _labels(tokens), len(tokens)
    layout = _panel_layout(_panels([0.36, 0.36, 0.28]), [f"mean over heads, layer {layer}",
                                                        f"rollout, layers 0..{layer}",
                                                        f"attention from {summary_name} per layer"], size)
    traces = [dict(type="heatmap", z=_shown(matrix, 0.0, causal), x=labels, y=labels, coloraxis="coloraxis",
                   hovertemplate=HOVER, hoverongaps=False, xaxis=f"x{k}", yaxis=f"y{k}")
              for k, matrix in ((1, mean), (2, rolled))]
    traces.append(dict(type="heatmap", z=np.asarray(summary, dtype=np.float32), x=labels,
                       y=[f"L{i}" for i in range(len(summary))], coloraxis="coloraxis", xaxis="x3", yaxis="y3",
                       hovertemplate="layer %{y}<br>to %{x}<br>%{z:.4f}<extra></extra>"))
    layout["yaxis3"]["showticklabels"] = True
    notes = ["rollout: Abnar & Zuidema (2020), 0.5 A + 0.5 I per layer", note]
    return _figure(traces, dict(layout, title=_title("Aggregates", notes), height=480, width=1200,
                                coloraxis=dict(colorscale="Blues", cmin=0, cmax=1),
                                plot_bgcolor=MASKED_COLOR if causal else "white",
                                shapes=_boundary(boundary, size) + _boundary(boundary, size, "2")))


STANDARD_VIEWS = ("head", "grid", "aggregates", "stats")


def standard_figure(view: str, result: AttentionResult, layer: int = 0, head: int = 0, threshold: float = 0.0,
                    show_special: bool = True, renormalise: bool = False) -> go.Figure:
    """The head, grid, aggregates or stats view of one extraction, with the display options applied.

    Aggregates and statistics are computed on the model's full matrices (special tokens included, as
    the model computes them); hiding special tokens then only drops their rows and columns from view.
    """
    layers, heads = result.attentions.shape[:2]
    if not (0 <= layer < layers and 0 <= head < heads):
        raise DataError(f"Layer {layer}, head {head} does not exist: this model has {layers} layers x {heads} heads.")
    boundary = result.segment_boundary
    if view == "stats":
        return head_stats_figure(head_statistics(result.attentions), len(result.tokens))
    if view == "aggregates":
        mean = mean_over_heads(result.attentions[layer:layer + 1])[0]
        rolled = rollout(result.attentions[:layer + 1])[-1]
        summary = attention_from(result.attentions, result.summary_index)
        name = f"the last token ({result.tokens[-1]})" if result.causal else result.tokens[result.summary_index]
        tokens, both, note = view_tokens(result.tokens, np.stack([mean, rolled]), result.special, show_special,
                                         renormalise)
        if tokens is not result.tokens:
            keep = [i for i, flag in enumerate(result.special) if not flag]
            summary, boundary = summary[:, keep], _shift(boundary, keep)
        return aggregates_figure(tokens, both[0], both[1], summary, layer, name, result.causal, boundary, note)
    if view == "grid":
        _, matrices, note = view_tokens(result.tokens, result.attentions, result.special, show_special, renormalise)
        title = "Model view" + (f" ({note})" if note else "")
        return model_grid_figure(matrices, title, threshold, result.causal)
    if view == "head":
        tokens, matrix, note = view_tokens(result.tokens, result.attentions[layer, head], result.special,
                                           show_special, renormalise)
        if tokens is not result.tokens:
            boundary = _shift(boundary, [i for i, flag in enumerate(result.special) if not flag])
        return head_figure(tokens, matrix, f"Layer {layer}, head {head}", threshold, result.causal, boundary, note)
    raise DataError(f"Unknown view '{view}': choose one of {', '.join(STANDARD_VIEWS)}.")


def _shift(boundary: int | None, keep: list[int]) -> int | None:
    """Where the segment boundary falls once only the ``keep`` tokens remain."""
    if boundary is None:
        return None
    return next((position for position, index in enumerate(keep) if index >= boundary), None)


def _layer_head_trace(values: np.ndarray, name: str, colorscale: str, fmt: str, axis: str = "",
                      **extra: Any) -> dict[str, Any]:
    layers, heads = values.shape
    return dict(type="heatmap", z=np.asarray(values, dtype=np.float32), x=[f"H{h}" for h in range(heads)],
                y=[f"L{i}" for i in range(layers)], colorscale=colorscale, xaxis=f"x{axis}", yaxis=f"y{axis}",
                hovertemplate=f"%{{y}} %{{x}}<br>{name} %{{z:{fmt}}}<extra></extra>", **extra)


def _ranked_bar(ranked: list[dict[str, Any]], values: list[float], colors: Any, fmt: str) -> dict[str, Any]:
    return dict(type="bar", x=values[::-1], y=[f"L{r['layer']} H{r['head']}" for r in ranked][::-1],
                orientation="h", marker=dict(color=colors[::-1] if isinstance(colors, list) else colors),
                showlegend=False, xaxis="x2", yaxis="y2", hovertemplate=f"%{{y}}<br>%{{x:{fmt}}}<extra></extra>")


def _two_panel(titles: list[str], rows: int) -> dict[str, Any]:
    layout = _panel_layout(_panels([0.62, 0.38], 0.14), titles, 0)
    layout["yaxis2"]["autorange"] = True
    layout["yaxis2"]["type"] = "category"
    layout["xaxis"]["tickangle"] = 0
    return dict(layout, height=max(360, 90 + 34 * rows), width=1050)


def head_stats_figure(stats: dict[str, np.ndarray], tokens: int) -> go.Figure:
    """Entropy and mean attention distance per layer x head, side by side."""
    layout = _panel_layout(_panels([0.5, 0.5], 0.14), [f"entropy (nats; uniform = {np.log(max(tokens, 1)):.2f})",
                                                       "mean attention distance (tokens)"], 0)
    traces = [_layer_head_trace(stats["entropy"], "entropy", "Viridis", ".3f", colorbar=dict(x=0.44, len=0.9)),
              _layer_head_trace(stats["distance"], "distance", "Magma", ".2f", "2", colorbar=dict(x=1.0, len=0.9))]
    layout["xaxis"]["tickangle"] = layout["xaxis2"]["tickangle"] = 0
    rows = stats["entropy"].shape[0]
    title = _title("Per-head statistics", ["averaged over query tokens; low entropy = a focused head"])
    return _figure(traces, dict(layout, title=title, height=max(320, 90 + 34 * rows), width=1000))


def divergence_figure(divergence: np.ndarray, metric: str, top: int = 10) -> go.Figure:
    """Base vs fine-tuned: per-head distance heatmap and the heads that changed most."""
    ranked = rank_heads(divergence, top, key=metric)
    name = "Jensen-Shannon divergence (bits)" if metric == "js" else "L1 distance"
    traces = [_layer_head_trace(divergence, metric, "Reds", ".4f", colorbar=dict(x=0.57)),
              _ranked_bar(ranked, [r[metric] for r in ranked], "#c92a2a", ".4f")]
    layout = _two_panel([f"{name} per head", f"top {len(ranked)} changed heads"], divergence.shape[0])
    return _figure(traces, dict(layout, title=_title("Base vs fine-tuned: how much each head's attention changed",
                                                     ["same text, same tokens, averaged over query rows"])))


def comparison_figure(tokens: list[str], base: np.ndarray, tuned: np.ndarray, layer: int, head: int,
                      causal: bool = False, boundary: int | None = None) -> go.Figure:
    """The same head in the base and the fine-tuned model side by side, plus their difference."""
    labels, size = _labels(tokens), len(tokens)
    layout = _panel_layout(_panels([1, 1, 1], 0.06), ["base model", "fine-tuned", "fine-tuned − base"], size)
    traces = [dict(type="heatmap", z=_shown(matrix, 0.0, causal), x=labels, y=labels, coloraxis="coloraxis",
                   hovertemplate=HOVER, hoverongaps=False, xaxis=f"x{k}", yaxis=f"y{k}")
              for k, matrix in ((1, base), (2, tuned))]
    limit = float(np.abs(tuned - base).max()) or 1e-9
    traces.append(dict(type="heatmap", z=(tuned - base).astype(np.float32), x=labels, y=labels, colorscale="RdBu_r",
                       zmin=-limit, zmax=limit, hovertemplate=HOVER, colorbar=dict(x=1.0), xaxis="x3", yaxis="y3"))
    shapes = [s for k in ("", "2", "3") for s in _boundary(boundary, size, k)]
    return _figure(traces, dict(layout, title=_title(f"Layer {layer}, head {head}: base vs fine-tuned", []),
                                height=470, width=1250, shapes=shapes,
                                coloraxis=dict(colorscale="Blues", cmin=0, cmax=1, colorbar=dict(x=0.64))))


def importance_figure(drop: np.ndarray, label: str, probability: float, top: int = 10) -> go.Figure:
    """Head importance: change of p(label) when each head is masked, as a heatmap and a ranked bar."""
    values = np.asarray(drop, dtype=float)
    ranked = rank_heads(np.abs(values), top)
    limit = float(np.abs(values).max()) or 1e-9
    bars = [float(values[r["layer"], r["head"]]) for r in ranked]
    traces = [_layer_head_trace(values, "drop", "RdBu", "+.4f", zmin=-limit, zmax=limit, colorbar=dict(x=0.57)),
              _ranked_bar(ranked, bars, ["#1971c2" if b >= 0 else "#c92a2a" for b in bars], "+.4f")]
    layout = _two_panel(["p(unmasked) − p(head masked)", f"top {len(ranked)} heads by |change|"], values.shape[0])
    notes = [f"class '{label}' at p = {probability:.3f}; blue = the head supports it, red = it works against it"]
    return _figure(traces, dict(layout, title=_title("Head importance (one head masked at a time)", notes)))


def attribution_figure(tokens: list[str], scores: list[float], label: str, hide: list[bool] | None = None) -> go.Figure:
    """Integrated-gradients score per token as a bar chart (green supports ``label``)."""
    index = [i for i in range(len(tokens)) if not (hide and hide[i])]
    values = [float(scores[i]) for i in index]
    trace = dict(type="bar", x=[f"{i}:{tokens[i]}" for i in index], y=values,
                 marker=dict(color=["#16a34a" if v >= 0 else "#dc2626" for v in values]),
                 hovertemplate="%{x}<br>%{y:+.5f}<extra></extra>")
    return _figure([trace], dict(
        title=_title(f"Integrated gradients for '{label}'", ["green supports the class, red speaks against it"]),
        height=380, width=max(500, min(1400, 60 + 18 * len(index))),
        xaxis=dict(tickangle=-60, tickfont=dict(size=9), type="category"), yaxis=dict(title="attribution"),
    ))
