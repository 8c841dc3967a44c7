"""Training curves from a run's events: loss (raw, smoothed, evaluation) and validation metrics, and
several runs overlaid on one figure (``compare_figure``).

No model or file access here: callers pass the parsed ``events.jsonl`` lines (``core.runs.events`` skips
lines that are not JSON objects). A value that is not a finite number where a number belongs (a tampered
or damaged event) leaves its point out instead of failing the figure. ``current_attempt`` drops the
events a resume replays, so a resumed run draws one continuous curve.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from core.errors import ConfigError
from core.plots.style import styled
from core.text import plot_text


def number(value: Any) -> float | None:
    """``value`` when it is a finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _points(events: list[dict[str, Any]], kind: str, key: str, x: str = "step") -> tuple[list[float], list[float]]:
    """(x, y) of the ``kind`` events whose ``x`` and ``key`` are numbers."""
    pairs = [(number(e.get(x)), number(e.get(key))) for e in events if e.get("event") == kind]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    return [a for a, _ in pairs], [b for _, b in pairs]


def current_attempt(events: list[dict[str, Any]], stage: str | None = None) -> list[dict[str, Any]]:
    """Drop step/eval events a resume replays: after a 'started' at step s, earlier events past s go.

    Only the events of ``stage`` are kept: None is fine-tuning, "pretrain" the pre-training stage
    (``core.pretrain``, whose events carry ``"stage": "pretrain"`` and count their own steps).
    """
    kept: list[dict[str, Any]] = []
    for event in events:
        if event.get("stage") != stage:
            continue
        cut = number(event.get("resumed_from_step")) if event.get("event") == "started" else None
        if cut is not None:  # 0 for a restart from scratch: the earlier attempt goes
            kept = [e for e in kept if number(e.get("step")) is None or e["step"] <= cut]
        kept.append(event)
    return kept


def smooth(values: list[float], weight: float = 0.8) -> list[float]:
    """Debiased exponential moving average (as TensorBoard draws it)."""
    out, average = [], 0.0
    finite = [v for v in values if number(v) is not None]
    for i, value in enumerate(finite, 1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight**i))
    return out


def loss_figure(events: list[dict[str, Any]], log_scale: bool = False, stage: str | None = None) -> go.Figure:
    """Train loss (raw and smoothed) with evaluation loss overlaid, by step (of fine-tuning, or of ``stage``)."""
    events = current_attempt(events, stage)
    x, y = _points(events, "step", "loss")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=y, name="train loss", mode="lines", line=dict(color="#9ab8e0", width=1)))
    if len(y) > 2:
        fig.add_trace(go.Scatter(x=x, y=smooth(y), name="train loss (smoothed)", mode="lines",
                                 line=dict(color="#1f5fb4", width=2.5)))
    eval_x, eval_y = _points(events, "eval", "loss")
    fig.add_trace(go.Scatter(x=eval_x, y=eval_y, name="eval loss", mode="lines+markers",
                             marker=dict(size=9, color="#d9480f")))
    fig.update_xaxes(title="step", rangemode="tozero")
    fig.update_yaxes(title="loss", type="log" if log_scale else "linear")
    return styled(fig, "Pre-training loss" if stage == "pretrain" else "Loss", hovermode="x unified")


def perplexity_figure(events: list[dict[str, Any]]) -> go.Figure:
    """Held-out perplexity (exp of the held-out loss) of the pre-training stage, by step."""
    x, y = _points(current_attempt(events, "pretrain"), "eval", "perplexity")
    x, y = [a for a, b in zip(x, y, strict=True) if b > 0], [b for b in y if b > 0]
    fig = go.Figure(go.Scatter(x=x, y=y, name="perplexity", mode="lines+markers", line=dict(color="#d9480f")))
    fig.update_xaxes(title="pre-training step", rangemode="tozero")
    fig.update_yaxes(title="perplexity (log scale)", type="log")
    return styled(fig, "Pre-training: held-out perplexity", hovermode="x unified")


def stopping_rule(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The early-stopping rule of the run (from its ``started`` event: ``patience``, ``stop_metric``) and where it
    stands: the best evaluation's step and value, and the evaluations since it; None without a rule or an eval."""
    events = current_attempt(events)
    started = next((e for e in reversed(events) if e.get("event") == "started"), {})
    patience, metric = number(started.get("patience")), started.get("stop_metric")
    if not patience or metric not in ("f1_macro", "accuracy", "eval_loss"):
        return None
    x, y = _points(events, "eval", "loss" if metric == "eval_loss" else metric)
    if not y:
        return None
    lower = metric == "eval_loss"
    best = min(range(len(y)), key=lambda i: (y[i] if lower else -y[i], i))  # the first of equal bests
    return {"metric": metric, "patience": int(patience), "best_step": x[best], "best_value": y[best],
            "since_best": len(y) - 1 - best}


def metrics_figure(events: list[dict[str, Any]]) -> go.Figure:
    """Evaluation accuracy and macro F1 by step; with early stopping (auto length) the best evaluation is marked
    and the stopping rule written beside it."""
    evals = current_attempt(events)
    fig = go.Figure()
    for key, color in (("accuracy", "#2b8a3e"), ("f1_macro", "#862e9c")):
        x, y = _points(evals, "eval", key)
        fig.add_trace(go.Scatter(x=x, y=y, name=key, mode="lines+markers", line=dict(color=color)))
    rule = stopping_rule(events)
    if rule:
        fig.add_vline(x=rule["best_step"], line=dict(color="#868e96", dash="dash", width=1),
                      annotation_text=(f"best {rule['metric']} (kept) · stops after {rule['patience']} evaluations "
                                       f"without improvement: {rule['since_best']} so far"),
                      annotation_position="top left", annotation_font_size=11)
    fig.update_xaxes(title="step", rangemode="tozero")
    fig.update_yaxes(title="score", range=[0, 1.02])
    return styled(fig, "Validation metrics", hovermode="x unified")


COMPARE_METRICS = ("loss", "eval_loss", "accuracy", "f1_macro")
_COMPARE_TITLES = {"loss": "Train loss (smoothed)", "eval_loss": "Validation loss",
                   "accuracy": "Validation accuracy", "f1_macro": "Validation macro F1"}


def _series(events: list[dict[str, Any]], metric: str, x: str) -> tuple[list[Any], list[float]]:
    """(x, y) of one run's ``metric``: train loss from step events, the others from eval events."""
    kind, key = ("step", "loss") if metric == "loss" else ("eval", "loss" if metric == "eval_loss" else metric)
    xs, ys = _points(current_attempt(events), kind, key, x)
    return xs, [float(y) for y in ys]


def compare_figure(runs: dict[str, list[dict[str, Any]]], metric: str = "loss", x: str = "step") -> go.Figure:
    """One line per run (legend: the dict's keys, the runs' names): smoothed train loss, or an eval metric.

    ``metric`` is 'loss' (train, smoothed), 'eval_loss', 'accuracy' or 'f1_macro'; ``x`` is 'step' or
    'epoch' (epochs line up runs with different batch sizes).
    """
    if metric not in COMPARE_METRICS:
        raise ConfigError(f"Cannot compare runs by '{metric}': choose one of {', '.join(COMPARE_METRICS)}.")
    if x not in ("step", "epoch"):
        raise ConfigError(f"Cannot draw runs against '{x}': choose 'step' or 'epoch'.")
    fig = go.Figure()
    for name, events in runs.items():
        xs, ys = _series(events, metric, x)
        if metric == "loss":
            ys = smooth(ys)
        shown = plot_text(name)  # a run's name is the user's text: never markup or a link in the legend
        fig.add_trace(go.Scatter(x=xs, y=ys, name=shown if ys else f"{shown} (no {metric} yet)",
                                 mode="lines" if metric == "loss" else "lines+markers"))
    fig.update_xaxes(title=x, rangemode="tozero")
    score = metric in ("accuracy", "f1_macro")
    fig.update_yaxes(title="score" if score else "loss", **({"range": [0, 1.02]} if score else {}))
    return styled(fig, _COMPARE_TITLES[metric], hovermode="x unified")
