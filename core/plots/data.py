"""Plotly figures of a data health report, drawn from the plain ``inspect`` result.

``health_figures(inspect_file(...))`` returns the class-balance bar, the length histogram (tokens
with the max_length line when a tokenizer was used, characters otherwise) and, when rows were
dropped, a bar of why. Multi-label data gets rows per label instead of the class balance, a label
co-occurrence heatmap and a bar of labels per row. No file or model access and no gradio: the UI places the figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.plots.evaluation import short
from core.plots.style import styled


def health_figures(inspect_result: dict[str, Any]) -> dict[str, go.Figure]:
    """Figures keyed 'class_balance', 'token_lengths' or 'char_lengths', and 'dropped_rows' (when any);
    multi-label data adds 'co_occurrence' and 'labels_per_row' ('class_balance' is then rows per label)."""
    health = inspect_result.get("health") or {}
    figures = {"class_balance": class_balance_figure(inspect_result.get("labels") or {})}
    multi = health.get("multi_label")
    if multi:
        rows = int(inspect_result.get("rows") or sum(multi["labels_per_row"].values()))
        figures.update(class_balance=label_counts_figure(multi["counts"], rows),
                       co_occurrence=co_occurrence_figure(multi), labels_per_row=labels_per_row_figure(multi))
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


def label_counts_figure(counts: dict[str, int], rows: int) -> go.Figure:
    """Multi-label: one bar per label with the rows holding it and their share of all rows."""
    names, values = [str(name) for name in counts], list(counts.values())
    fig = go.Figure(go.Bar(x=names, y=values, text=[f"{n:,} ({n / max(rows, 1):.0%})" for n in values],
                           textposition="auto", marker_color="#4C78A8"))
    return styled(fig, legend=False, title=f"Rows per label ({len(counts)} labels, {rows:,} rows, several per row)",
                  xaxis_title="label", yaxis_title="rows", xaxis_type="category")


def co_occurrence_figure(stats: dict[str, Any]) -> go.Figure:
    """Heatmap of rows holding both labels; colour = share of the row label's rows that also hold the column label."""
    labels = [str(label) for label in stats["labels"]]
    counts = np.asarray(stats["co_occurrence"], dtype=float).reshape(len(labels), len(labels))
    own = np.diag(counts)[:, None]
    share = np.divide(counts, own, out=np.zeros_like(counts), where=own > 0)
    k, ticks = len(labels), [short(label) for label in labels]
    custom = np.dstack([np.array(labels, dtype=object)[:, None].repeat(k, 1),
                        np.array(labels, dtype=object)[None, :].repeat(k, 0), counts.astype(int)])
    fig = go.Figure(go.Heatmap(
        z=share, x=ticks, y=ticks, zmin=0, zmax=1, colorscale="Blues", customdata=custom, text=counts.astype(int),
        texttemplate="%{text}" if k <= 30 else None, textfont=dict(size=max(7, 14 - k // 3)),
        colorbar=dict(title="share", tickformat=".0%"),
        hovertemplate="%{customdata[2]} rows have both %{customdata[0]} and %{customdata[1]}<br>"
                      "(%{z:.1%} of the rows with %{customdata[0]})<extra></extra>",
    ))
    fig.update_xaxes(type="category", tickangle=-45 if k > 6 else 0, side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return styled(fig, "Labels together (rows with both; diagonal: rows with the label)",
                  height=max(360, 140 + 24 * k), legend=False)


def labels_per_row_figure(stats: dict[str, Any]) -> go.Figure:
    """Rows by how many labels they hold (0 = none of the labels)."""
    per_row = stats["labels_per_row"]
    names, values = list(per_row), list(per_row.values())
    fig = go.Figure(go.Bar(x=names, y=values, text=[f"{n:,}" for n in values], textposition="auto",
                           marker_color="#72B7B2"))
    return styled(fig, legend=False, title=f"Labels per row (mean {stats.get('mean_labels_per_row', 0):.2f})",
                  xaxis_title="labels in the row", yaxis_title="rows", xaxis_type="category", height=260)
