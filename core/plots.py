"""Plotly figures built from plain data (events, label counts, scores, attention matrices).

No model or file access here: callers pass lists and dicts, so the UI and exports share one drawing.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

TEMPLATE = "plotly_white"


def _layout(fig: go.Figure, title: str, height: int = 360, **extra: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height, margin=dict(l=50, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.2), **extra)
    return fig


def current_attempt(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop step/eval events a resume replays: after a 'started' at step s, earlier events past s go."""
    kept: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") == "started" and event.get("resumed_from_step") is not None:
            cut = event["resumed_from_step"]  # 0 for a restart from scratch: the earlier attempt goes
            kept = [e for e in kept if e.get("step") is None or e["step"] <= cut]
        kept.append(event)
    return kept


def smooth(values: list[float], weight: float = 0.8) -> list[float]:
    """Debiased exponential moving average (as TensorBoard draws it)."""
    out, average = [], 0.0
    finite = [v for v in values if v is not None and math.isfinite(v)]
    for i, value in enumerate(finite, 1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight**i))
    return out


def loss_figure(events: list[dict[str, Any]], log_scale: bool = False) -> go.Figure:
    """Train loss (raw and smoothed) with evaluation loss overlaid, by step."""
    events = current_attempt(events)
    steps = [e for e in events if e.get("event") == "step" and e.get("loss") is not None]
    evals = [e for e in events if e.get("event") == "eval" and e.get("loss") is not None]
    fig = go.Figure()
    x = [e["step"] for e in steps]
    y = [e["loss"] for e in steps]
    fig.add_trace(go.Scatter(x=x, y=y, name="train loss", mode="lines", line=dict(color="#9ab8e0", width=1)))
    if len(y) > 2:
        fig.add_trace(go.Scatter(x=x, y=smooth(y), name="train loss (smoothed)", mode="lines",
                                 line=dict(color="#1f5fb4", width=2.5)))
    fig.add_trace(go.Scatter(x=[e["step"] for e in evals], y=[e["loss"] for e in evals], name="eval loss",
                             mode="lines+markers", marker=dict(size=9, color="#d9480f")))
    fig.update_xaxes(title="step", rangemode="tozero")
    fig.update_yaxes(title="loss", type="log" if log_scale else "linear")
    return _layout(fig, "Loss", hovermode="x unified")


def metrics_figure(events: list[dict[str, Any]]) -> go.Figure:
    """Evaluation accuracy and macro F1 by step."""
    evals = [e for e in current_attempt(events) if e.get("event") == "eval"]
    fig = go.Figure()
    for key, color in (("accuracy", "#2b8a3e"), ("f1_macro", "#862e9c")):
        fig.add_trace(go.Scatter(x=[e["step"] for e in evals], y=[e.get(key) for e in evals], name=key,
                                 mode="lines+markers", line=dict(color=color)))
    fig.update_xaxes(title="step", rangemode="tozero")
    fig.update_yaxes(title="score", range=[0, 1.02])
    return _layout(fig, "Validation metrics", hovermode="x unified")


def label_counts_figure(labels: dict[str, int]) -> go.Figure:
    """Bar chart of rows per class."""
    fig = go.Figure(go.Bar(x=list(map(str, labels)), y=list(labels.values()), marker_color="#1f5fb4",
                           text=list(labels.values()), textposition="auto"))
    fig.update_xaxes(title="label", type="category")
    fig.update_yaxes(title="rows")
    return _layout(fig, "Class balance", height=300)


def probability_figure(scores: dict[str, float]) -> go.Figure:
    """Horizontal bars of class probabilities, highest on top."""
    items = sorted(scores.items(), key=lambda kv: kv[1])
    best = items[-1][0] if items else None
    fig = go.Figure(go.Bar(
        x=[v for _, v in items], y=[str(k) for k, _ in items], orientation="h",
        marker_color=["#1f5fb4" if k == best else "#9ab8e0" for k, _ in items],
        text=[f"{v:.1%}" for _, v in items], textposition="auto",
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="probability")
    fig.update_yaxes(type="category")
    return _layout(fig, "Prediction", height=max(220, 60 + 40 * len(items)))


def heatmap_figure(matrix: Any, tokens: list[str], title: str, zmax: float | None = 1.0,
                   colorscale: str = "Blues", causal: bool = False) -> go.Figure:
    """Token-to-token heatmap (rows attend to columns) with hover values."""
    labels = [f"{i}:{t}" for i, t in enumerate(tokens)]
    fig = go.Figure(go.Heatmap(
        z=matrix, x=labels, y=labels, colorscale=colorscale, zmin=0, zmax=zmax,
        hovertemplate="from %{y}<br>to %{x}<br>weight %{z:.4f}<extra></extra>",
    ))
    size = min(900, max(380, 22 * len(tokens) + 160))
    fig.update_yaxes(autorange="reversed", title="query (attends from)", tickfont=dict(size=10))
    fig.update_xaxes(title="key (attends to)", tickangle=-60, tickfont=dict(size=10))
    if causal:
        title += " — causal mask: tokens see only themselves and earlier tokens"
    return _layout(fig, title, height=size, width=size + 80)
