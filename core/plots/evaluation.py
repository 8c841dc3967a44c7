"""Figures of an evaluation report: confusion matrix, reliability diagram, per-class scores, threshold curve.

Pure functions of the plain dicts ``core.inference.evaluation.Evaluation.report`` and ``threshold_curve``
return, in the shared style (``core.plots.style``). No model or file access here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.plots.style import styled

BLUE, LIGHT, GREEN, ORANGE, GREY = "#1f5fb4", "#9ab8e0", "#2b8a3e", "#d9480f", "#868e96"


def short(label: str, width: int = 18) -> str:
    """A label short enough for an axis tick."""
    label = str(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def confusion_figure(report: dict[str, Any]) -> go.Figure:
    """Heatmap of the confusion matrix (rows = true, columns = predicted), coloured by each true class's share.

    Cells show counts; the hover adds the share of the true class's rows. Readable from 2 to ~30 classes:
    the text shrinks and the figure grows with the number of classes.
    """
    labels = [str(label) for label in report["labels"]]
    counts = np.asarray(report["confusion_matrix"], dtype=float).reshape(len(labels), len(labels))
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    ticks = [short(label) for label in labels]
    k = len(labels)
    custom = np.dstack([np.array(labels, dtype=object)[:, None].repeat(k, 1),
                        np.array(labels, dtype=object)[None, :].repeat(k, 0), counts.astype(int)])
    fig = go.Figure(go.Heatmap(
        z=share, x=ticks, y=ticks, zmin=0, zmax=1, colorscale="Blues", customdata=custom,
        text=counts.astype(int), texttemplate="%{text}" if k <= 30 else None,
        textfont=dict(size=max(7, 14 - k // 3)), colorbar=dict(title="share", tickformat=".0%"),
        hovertemplate="true %{customdata[0]}<br>predicted %{customdata[1]}<br>%{customdata[2]} rows "
                      "(%{z:.1%} of the true class)<extra></extra>",
    ))
    fig.update_xaxes(title="predicted", type="category", tickangle=-45 if k > 6 else 0, side="bottom")
    fig.update_yaxes(title="true", type="category", autorange="reversed")
    side = max(360, 140 + 24 * k)
    return styled(fig, f"Confusion matrix ({report.get('samples', int(counts.sum()))} rows)", height=side,
                  legend=False)


def reliability_figure(report: dict[str, Any]) -> go.Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration; bar labels give the counts."""
    bins = report["reliability"]
    used = [b for b in bins if b["count"]]
    centers = [(b["lower"] + b["upper"]) / 2 for b in used]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=centers, y=[b["accuracy"] for b in used], width=[b["upper"] - b["lower"] for b in used], name="accuracy",
        marker=dict(color=LIGHT, line=dict(color=BLUE, width=1)), text=[f"n={b['count']}" for b in used],
        textposition="outside",
        customdata=[[b["lower"], b["upper"], b["count"], b["mean_confidence"]] for b in used],
        hovertemplate="confidence %{customdata[0]:.1f}–%{customdata[1]:.1f}<br>%{customdata[2]} rows<br>"
                      "accuracy %{y:.1%}<br>mean confidence %{customdata[3]:.1%}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=centers, y=[b["mean_confidence"] for b in used], mode="markers", name="mean confidence",
                             marker=dict(color=ORANGE, size=8, symbol="line-ew-open", line=dict(width=3))))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                             line=dict(color=GREY, dash="dash"), hoverinfo="skip"))
    fig.update_xaxes(title="confidence (top class probability)", range=[0, 1], tickformat=".0%", dtick=0.1)
    fig.update_yaxes(title="accuracy", range=[0, 1.12], tickformat=".0%")
    return styled(fig, f"Reliability (ECE {report['ece']:.3f})", bargap=0)


def per_class_figure(report: dict[str, Any]) -> go.Figure:
    """Precision, recall and F1 bars per class (support on hover)."""
    per_class = report["per_class"]
    labels = [str(label) for label in report["labels"]]
    ticks = [short(label) for label in labels]
    support = [per_class[label]["support"] for label in labels]
    fig = go.Figure()
    for metric, color in (("precision", LIGHT), ("recall", GREEN), ("f1", BLUE)):
        fig.add_trace(go.Bar(
            x=ticks, y=[per_class[label][metric] for label in labels], name=metric, marker_color=color,
            customdata=[[label, n] for label, n in zip(labels, support, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{metric} %{{y:.3f}}<br>support %{{customdata[1]}}<extra></extra>",
        ))
    fig.update_xaxes(type="category", tickangle=-45 if len(labels) > 6 else 0)
    fig.update_yaxes(range=[0, 1.05], title="score")
    return styled(fig, "Scores per class", barmode="group", height=max(360, 300 + 4 * len(labels)))


def threshold_figure(curve: dict[str, Any], threshold: float = 0.5) -> go.Figure:
    """Two classes: precision, recall and F1 of the positive class and accuracy against the decision threshold,
    with markers at ``threshold``."""
    x = curve["thresholds"]
    at = int(np.argmin(np.abs(np.asarray(x) - threshold)))
    fig = go.Figure()
    for metric, color in (("precision", LIGHT), ("recall", GREEN), ("f1", BLUE), ("accuracy", ORANGE)):
        values = curve[metric]
        fig.add_trace(go.Scatter(x=x, y=values, mode="lines", name=metric, line=dict(color=color, width=2),
                                 hovertemplate=f"threshold %{{x:.2f}}<br>{metric} %{{y:.3f}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[x[at]], y=[values[at]], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(color=color, size=10, line=dict(color="white", width=1))))
    fig.add_vline(x=threshold, line=dict(color=GREY, dash="dash"),
                  annotation_text=f"threshold {threshold:.2f}", annotation_position="top")
    fig.update_xaxes(title=f"threshold on p({curve.get('positive', 'positive')})", range=[0, 1])
    fig.update_yaxes(title="score", range=[0, 1.05])
    return styled(fig, f"Scores by threshold (positive class: {curve.get('positive', '?')})", hovermode="x unified")
