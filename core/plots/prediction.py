"""Figures of one prediction: the class probabilities as horizontal bars."""

from __future__ import annotations

import plotly.graph_objects as go

from core.plots.style import styled


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
    return styled(fig, "Prediction", height=max(220, 60 + 40 * len(items)))
