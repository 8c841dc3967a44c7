"""Figures of one prediction: the class probabilities as horizontal bars, or for a multi-label model every
label's probability against its decision threshold. No model access here."""

from __future__ import annotations

import plotly.graph_objects as go

from core.plots.style import styled

CHOSEN, OTHER, MARK = "#1f5fb4", "#9ab8e0", "#d9480f"


def probability_figure(scores: dict[str, float]) -> go.Figure:
    """Horizontal bars of class probabilities, highest on top."""
    items = sorted(scores.items(), key=lambda kv: kv[1])
    best = items[-1][0] if items else None
    fig = go.Figure(go.Bar(
        x=[v for _, v in items], y=[str(k) for k, _ in items], orientation="h",
        marker_color=[CHOSEN if k == best else OTHER for k, _ in items],
        text=[f"{v:.1%}" for _, v in items], textposition="auto",
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="probability")
    fig.update_yaxes(type="category")
    return styled(fig, "Prediction", height=max(220, 60 + 40 * len(items)))


def label_probability_figure(scores: dict[str, float], thresholds: dict[str, float]) -> go.Figure:
    """Multi-label: each label's probability as a bar (dark when it reaches its threshold, so it is chosen) and
    its threshold as a tick on the bar; labels in their own order, first on top."""
    labels = list(scores)
    chosen = [scores[label] >= thresholds.get(label, 0.5) for label in labels]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=[scores[label] for label in labels], y=labels, orientation="h", name="probability",
        marker_color=[CHOSEN if yes else OTHER for yes in chosen], text=[f"{scores[label]:.1%}" for label in labels],
        textposition="auto", customdata=[[thresholds.get(label, 0.5), "chosen" if yes else "not chosen"]
                                         for label, yes in zip(labels, chosen, strict=True)],
        hovertemplate="%{y}: %{x:.1%}<br>threshold %{customdata[0]:.0%} (%{customdata[1]})<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=[thresholds.get(label, 0.5) for label in labels], y=labels, mode="markers", name="threshold",
        marker=dict(symbol="line-ns-open", size=26, color=MARK, line=dict(width=3)), hoverinfo="skip",
    ))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", title="probability (each label on its own)")
    fig.update_yaxes(type="category", autorange="reversed")
    picked = [label for label, yes in zip(labels, chosen, strict=True) if yes]
    title = "Chosen: " + (", ".join(picked) if picked else "none of the labels")
    return styled(fig, title, height=max(220, 90 + 40 * len(labels)))
