"""Figures of an evaluation report: confusion matrix, reliability diagram, per-class scores, threshold curve.

Multi-label reports (``core.inference.multilabel``) get per-label scores with each label's threshold
(:func:`per_class_figure`), each label's TP/FP/FN (:func:`label_outcomes_figure`) and every label's
precision-recall curve marked at its threshold (:func:`label_curves_figure`); one label's scores by
threshold are :func:`threshold_figure`. Pure functions of the plain dicts the evaluations return, in
the shared style (``core.plots.style``). No model or file access here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.plots.style import STYLE, styled

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
    """Precision, recall and F1 bars per class (support on hover); per label with its threshold for multi-label."""
    multi = bool(report.get("multi_label"))
    per_class = report["per_label" if multi else "per_class"]
    labels = [str(label) for label in report["labels"]]
    ticks = [short(label) + (f" ({per_class[label]['threshold']:.2f})" if multi else "") for label in labels]
    support = [per_class[label]["support"] for label in labels]
    fig = go.Figure()
    for metric, color in (("precision", LIGHT), ("recall", GREEN), ("f1", BLUE)):
        fig.add_trace(go.Bar(
            x=ticks, y=[per_class[label][metric] for label in labels], name=metric, marker_color=color,
            customdata=[[label, n] for label, n in zip(labels, support, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{metric} %{{y:.3f}}<br>support %{{customdata[1]}}<extra></extra>",
        ))
    fig.update_xaxes(type="category", tickangle=-45 if len(labels) > 6 else 0,
                     title="label (decision threshold)" if multi else None)
    fig.update_yaxes(range=[0, 1.05], title="score")
    return styled(fig, "Scores per label" if multi else "Scores per class", barmode="group",
                  height=max(360, 300 + 4 * len(labels)))


def label_outcomes_figure(report: dict[str, Any]) -> go.Figure:
    """Multi-label: per label, its true positives, false negatives (missed) and false positives as stacked bars
    (true negatives on hover) — the per-label confusion."""
    per_label, labels = report["per_label"], [str(label) for label in report["labels"]]
    ticks = [short(label) for label in labels]
    fig = go.Figure()
    for key, name, color in (("tp", "true positive", GREEN), ("fn", "missed (false negative)", ORANGE),
                             ("fp", "wrongly chosen (false positive)", LIGHT)):
        fig.add_trace(go.Bar(
            y=ticks, x=[per_label[label][key] for label in labels], name=name, orientation="h", marker_color=color,
            customdata=[[label, per_label[label]["tn"]] for label in labels],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{x}}<br>true negatives: %{{customdata[1]}}<extra></extra>",
        ))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(title="rows")
    return styled(fig, f"Outcomes per label ({report.get('samples', '?')} rows)", barmode="stack",
                  height=max(300, 120 + 28 * len(labels)))


def label_curves_figure(curves: dict[str, dict[str, Any]]) -> go.Figure:
    """Multi-label: every label's precision against recall as its threshold moves, marked at the label's threshold."""
    colors = STYLE["layout"]["colorway"]
    fig = go.Figure()
    for i, (label, curve) in enumerate(curves.items()):
        thresholds = np.asarray(curve["thresholds"])
        at = int(np.argmin(np.abs(thresholds - curve.get("threshold", 0.5))))
        color = colors[i % len(colors)]
        fig.add_trace(go.Scatter(
            x=curve["recall"], y=curve["precision"], mode="lines", name=short(label), customdata=thresholds,
            legendgroup=label, line=dict(color=color, width=2),
            hovertemplate=f"{short(label)}<br>threshold %{{customdata:.2f}}<br>recall %{{x:.3f}}"
                          "<br>precision %{y:.3f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[curve["recall"][at]], y=[curve["precision"][at]], mode="markers",
                                 legendgroup=label, showlegend=False, marker=dict(size=10, color=color,
                                                                                  line=dict(color="white", width=1)),
                                 hovertemplate=f"{short(label)}: threshold {thresholds[at]:.2f}<br>F1 "
                                               f"{curve['f1'][at]:.3f}<extra></extra>"))
    fig.update_xaxes(title="recall", range=[0, 1.02])
    fig.update_yaxes(title="precision", range=[0, 1.05])
    return styled(fig, "Precision and recall per label (dots: each label's threshold)")


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
