"""Plotly figures of a data health report, drawn from the plain ``inspect`` result.

``health_figures(inspect_file(...))`` returns the class-balance bar, the length histogram (tokens
with the max_length line when a tokenizer was used, characters otherwise) and, when rows were
dropped, a bar of why. No file or model access and no gradio: the UI places the figures.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from core.plots.style import styled


def health_figures(inspect_result: dict[str, Any]) -> dict[str, go.Figure]:
    """Figures keyed 'class_balance', 'token_lengths' or 'char_lengths', and 'dropped_rows' (when any)."""
    health = inspect_result.get("health") or {}
    figures = {"class_balance": class_balance_figure(inspect_result.get("labels") or {})}
    tokens = health.get("tokens")
    if tokens:
        figures["token_lengths"] = length_figure(tokens, "tokens", tokens.get("max_length"))
    elif health.get("characters"):
        figures["char_lengths"] = length_figure(health["characters"], "characters", None)
    dropped = inspect_result.get("dropped") or {}
    if dropped:
        figures["dropped_rows"] = dropped_figure(dropped)
    return figures


def class_balance_figure(labels: dict[str, int]) -> go.Figure:
    """One bar per class with its count and share."""
    total = max(sum(labels.values()), 1)
    names = [str(name) for name in labels]
    counts = list(labels.values())
    fig = go.Figure(go.Bar(x=names, y=counts, text=[f"{n:,} ({n / total:.0%})" for n in counts],
                           textposition="auto", marker_color="#4C78A8"))
    return styled(fig, legend=False, title=f"Class balance ({len(labels)} classes, {sum(counts):,} rows)",
                   xaxis_title="label", yaxis_title="rows", xaxis_type="category")


def length_figure(distribution: dict[str, Any], unit: str, max_length: int | None) -> go.Figure:
    """Histogram from the report's bin edges and counts, with the max_length cut-off as a dashed line."""
    histogram = distribution.get("histogram") or {}
    edges, counts = histogram.get("edges") or [], histogram.get("counts") or []
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=False)]
    widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=False)]
    fig = go.Figure(go.Bar(x=centres, y=counts, width=widths, marker_color="#72B7B2", name=unit))
    title = f"Text length in {unit} (median {distribution.get('p50', 0)}, 95% ≤ {distribution.get('p95', 0)})"
    if unit == "tokens" and distribution.get("sampled"):
        title += f", sample of {distribution.get('sampled_rows', 0):,} rows"
    if max_length:
        share = distribution.get("truncated_share", 0.0)
        fig.add_vline(x=max_length, line_dash="dash", line_color="#E45756",
                      annotation_text=f"max_length {max_length} ({share:.0%} cut)", annotation_position="top right")
    return styled(fig, title, legend=False, xaxis_title=unit, yaxis_title="rows", bargap=0.05)


def dropped_figure(dropped: dict[str, int]) -> go.Figure:
    """Rows left out, one bar per reason."""
    fig = go.Figure(go.Bar(x=list(dropped.values()), y=list(dropped), orientation="h", marker_color="#E45756",
                           text=[f"{n:,}" for n in dropped.values()], textposition="auto"))
    return styled(fig, legend=False, title=f"Dropped rows ({sum(dropped.values()):,})", height=220 + 30 * len(dropped),
                   xaxis_title="rows", yaxis_title="reason")
