"""The figure of a model comparison: each finished candidate's macro-F1 against its single-text latency.

Takes ``core.compare.comparison_result``'s rows (plain data). Candidates on the best trade-off front are joined
by a line, the recommended one is starred, marker size grows with the model's size on disk. No data access here.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from core.plots.style import figure, title
from core.text import plot_text


def comparison_figure(result: dict[str, Any]) -> go.Figure:
    """Macro-F1 (y) against latency p50 in ms (x, log scale) for the measured candidates of ``result``."""
    rows = [r for r in result.get("rows", []) if r.get("f1_macro") is not None and r.get("p50_ms") is not None]
    front = set(result.get("front") or [])
    chosen = (result.get("recommended") or {}).get("run_id")
    traces: list[dict[str, Any]] = []
    on_front = sorted((r for r in rows if r["run_id"] in front), key=lambda r: r["p50_ms"])
    if len(on_front) > 1:
        traces.append(dict(type="scatter", mode="lines", name="best trade-offs", hoverinfo="skip",
                           x=[r["p50_ms"] for r in on_front], y=[r["f1_macro"] for r in on_front],
                           line=dict(color="#adb5bd", dash="dot")))
    traces.append(dict(type="scatter", mode="markers+text", name="candidates", textposition="top center",
                       x=[r["p50_ms"] for r in rows], y=[r["f1_macro"] for r in rows],
                       text=[plot_text(_short(r.get("label") or r["run_id"])) for r in rows],
                       hovertext=[_hover(r) for r in rows], hoverinfo="text",
                       marker=dict(size=[10 + min(30, (r.get("size_mb") or 0) / 10) for r in rows],
                                   color=["#EF553B" if r["run_id"] in front else "#636efa" for r in rows])))
    star = [r for r in rows if r["run_id"] == chosen]
    if star:
        traces.append(dict(type="scatter", mode="markers", name="recommended", hoverinfo="skip",
                           x=[star[0]["p50_ms"]], y=[star[0]["f1_macro"]],
                           marker=dict(symbol="star", size=22, color="#FECB52", line=dict(color="#2a3f5f", width=1))))
    low, high = (min(r["p50_ms"] for r in rows), max(r["p50_ms"] for r in rows)) if rows else (1.0, 10.0)
    span = [math.log10(max(low, 1e-3)) - 0.15, math.log10(max(high, 1e-3)) + 0.15]  # room for the labels
    notes = [f"{len(rows)} of {len(result.get('rows', []))} candidates finished" if result.get("pending") else ""]
    layout = dict(title=title("Macro-F1 against latency on one text", notes), height=420,
                  xaxis=dict(title="latency p50, ms (one text)", type="log", range=span), yaxis=dict(title="validation macro-F1"),
                  legend=dict(orientation="h", y=-0.2))
    return figure(traces, layout)


def _short(label: str, limit: int = 28) -> str:
    """A candidate's label short enough to sit beside its marker: the model's name shortened, the recipe kept."""
    model, sep, recipe = label.rpartition(" · ")
    if not sep or len(label) <= limit:
        return label
    model = model.split(" (")[0]
    return f"{model[:limit - len(recipe) - 4]}… · {recipe}" if len(model) + len(recipe) + 3 > limit else f"{model} · {recipe}"


def _hover(row: dict[str, Any]) -> str:
    parts = [plot_text(row.get("label") or ""), f"run {plot_text(str(row['run_id']))}",
             f"macro-F1 {row['f1_macro']:.4f}", f"p50 {row['p50_ms']:.1f} ms"]
    if row.get("size_mb") is not None:
        parts.append(f"{row['size_mb']} MB")
    if row.get("train_seconds") is not None:
        parts.append(f"trained {row['train_seconds']:.0f} s")
    return "<br>".join(parts)
