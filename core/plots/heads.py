"""Figures about heads as a whole: per-head statistics, base vs fine-tuned change, head importance,
and token attributions. Pure functions on plain arrays; token-level attention views are in
``core.plots.attention``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.attention.heads import rank_heads
from core.plots import style
from core.plots.matrix import HOVER, boundary_lines, shown, token_labels


def _layer_head_trace(values: np.ndarray, name: str, colorscale: str, fmt: str, axis: str = "",
                      **extra: Any) -> dict[str, Any]:
    layers, heads = values.shape
    return dict(type="heatmap", z=np.asarray(values, dtype=np.float32), x=[f"H{h}" for h in range(heads)],
                y=[f"L{i}" for i in range(layers)], colorscale=colorscale, xaxis=f"x{axis}", yaxis=f"y{axis}",
                hovertemplate=f"%{{y}} %{{x}}<br>{name} %{{z:{fmt}}}<extra></extra>", **extra)



def _bar(x: float) -> dict[str, Any]:
    """A slim colour bar whose left edge is at ``x`` (paper units), clear of the next panel's labels."""
    return dict(x=x, xanchor="left", thickness=12, len=0.9)



def _ranked_bar(ranked: list[dict[str, Any]], values: list[float], colors: Any, fmt: str) -> dict[str, Any]:
    return dict(type="bar", x=values[::-1], y=[f"L{r['layer']} H{r['head']}" for r in ranked][::-1],
                orientation="h", marker=dict(color=colors[::-1] if isinstance(colors, list) else colors),
                showlegend=False, xaxis="x2", yaxis="y2", hovertemplate=f"%{{y}}<br>%{{x:{fmt}}}<extra></extra>")



def _two_panel(titles: list[str], rows: int) -> dict[str, Any]:
    layout = style.panel_layout(style.panels([0.62, 0.38], 0.14), titles, 0)
    layout["yaxis2"]["autorange"] = True
    layout["yaxis2"]["type"] = "category"
    layout["xaxis"]["tickangle"] = layout["xaxis2"]["tickangle"] = 0
    return dict(layout, height=max(360, 90 + 34 * rows))



def head_stats_figure(stats: dict[str, np.ndarray], tokens: int) -> go.Figure:
    """Entropy and mean attention distance per layer x head, side by side."""
    layout = style.panel_layout(style.panels([0.5, 0.5], 0.14), [f"entropy (nats; uniform = {np.log(max(tokens, 1)):.2f})",
                                                       "mean attention distance (tokens)"], 0)
    traces = [_layer_head_trace(stats["entropy"], "entropy", "Viridis", ".3f", colorbar=_bar(0.44)),
              _layer_head_trace(stats["distance"], "distance", "Magma", ".2f", "2", colorbar=_bar(1.0))]
    layout["xaxis"]["tickangle"] = layout["xaxis2"]["tickangle"] = 0
    rows = stats["entropy"].shape[0]
    heading = style.title("Per-head statistics", ["averaged over query tokens; low entropy = a focused head"])
    return style.figure(traces, dict(layout, title=heading, height=max(320, 90 + 34 * rows)))



def divergence_figure(divergence: np.ndarray, metric: str, top: int = 10) -> go.Figure:
    """Base vs fine-tuned: per-head distance heatmap and the heads that changed most."""
    ranked = rank_heads(divergence, top, key=metric)
    name = "Jensen-Shannon divergence (bits)" if metric == "js" else "L1 distance"
    traces = [_layer_head_trace(divergence, metric, "Reds", ".4f", colorbar=_bar(0.545)),
              _ranked_bar(ranked, [r[metric] for r in ranked], "#c92a2a", ".4f")]
    layout = _two_panel([f"{name} per head", f"top {len(ranked)} changed heads"], divergence.shape[0])
    return style.figure(traces, dict(layout, title=style.title("Base vs fine-tuned: how much each head's attention changed",
                                                     ["same text, same tokens, averaged over query rows"])))



def comparison_figure(tokens: list[str], base: np.ndarray, tuned: np.ndarray, layer: int, head: int,
                      causal: bool = False, boundary: int | None = None) -> go.Figure:
    """The same head in the base and the fine-tuned model side by side, plus their difference."""
    labels, size = token_labels(tokens), len(tokens)
    domains = style.panels([1, 1, 1], 0.1)
    layout = style.panel_layout(domains, ["base model", "fine-tuned", "fine-tuned − base"], size)
    for k in ("", "2", "3"):  # the same tokens on every panel: row labels once, on the left
        layout[f"xaxis{k}"].update(automargin=True)
        layout[f"yaxis{k}"].update(automargin=True, showticklabels=layout[f"yaxis{k}"]["showticklabels"] and not k)
    traces = [dict(type="heatmap", z=shown(matrix, 0.0, causal), x=labels, y=labels, coloraxis="coloraxis",
                   hovertemplate=HOVER, hoverongaps=False, xaxis=f"x{k}", yaxis=f"y{k}")
              for k, matrix in ((1, base), (2, tuned))]
    limit = float(np.abs(tuned - base).max()) or 1e-9
    traces.append(dict(type="heatmap", z=(tuned - base).astype(np.float32), x=labels, y=labels, colorscale="RdBu_r",
                       zmin=-limit, zmax=limit, hovertemplate=HOVER, colorbar=_bar(1.0), xaxis="x3", yaxis="y3"))
    shapes = [s for k in ("", "2", "3") for s in boundary_lines(boundary, size, k)]
    return style.figure(traces, dict(layout, title=style.title(f"Layer {layer}, head {head}: base vs fine-tuned", []),
                                height=max(470, min(900, 12 * size + 260)), shapes=shapes,
                                coloraxis=dict(colorscale="Blues", cmin=0, cmax=1,
                                               colorbar=_bar(domains[1][1] + 0.008))))



def importance_figure(drop: np.ndarray, label: str, probability: float, top: int = 10) -> go.Figure:
    """Head importance: change of p(label) when each head is masked, as a heatmap and a ranked bar."""
    values = np.asarray(drop, dtype=float)
    ranked = rank_heads(np.abs(values), top)
    limit = float(np.abs(values).max()) or 1e-9
    bars = [float(values[r["layer"], r["head"]]) for r in ranked]
    traces = [_layer_head_trace(values, "drop", "RdBu", "+.4f", zmin=-limit, zmax=limit, colorbar=_bar(0.545)),
              _ranked_bar(ranked, bars, ["#1971c2" if b >= 0 else "#c92a2a" for b in bars], "+.4f")]
    layout = _two_panel(["p(unmasked) − p(head masked)", f"top {len(ranked)} heads by |change|"], values.shape[0])
    notes = [f"class '{label}' at p = {probability:.3f}; blue = the head supports it, red = it works against it"]
    return style.figure(traces, dict(layout, title=style.title("Head importance (one head masked at a time)", notes)))



def attribution_figure(tokens: list[str], scores: list[float], label: str, hide: list[bool] | None = None) -> go.Figure:
    """Integrated-gradients score per token as a bar chart (green supports ``label``)."""
    index = [i for i in range(len(tokens)) if not (hide and hide[i])]
    values = [float(scores[i]) for i in index]
    trace = dict(type="bar", x=[f"{i}:{tokens[i]}" for i in index], y=values,
                 marker=dict(color=["#16a34a" if v >= 0 else "#dc2626" for v in values]),
                 hovertemplate="%{x}<br>%{y:+.5f}<extra></extra>")
    return style.figure([trace], dict(
        title=style.title(f"Integrated gradients for '{label}'", ["green supports the class, red speaks against it"]),
        height=380,
        xaxis=dict(tickangle=-60, tickfont=dict(size=9), type="category"), yaxis=dict(title="attribution"),
    ))
