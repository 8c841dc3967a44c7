"""Figures of a hyper-parameter sweep's trials: the metric against one setting, and parallel coordinates.

Both take the trial rows of ``core.sweep.sweep_status`` (plain data: number, state, params, value);
completed trials are drawn in colour, pruned ones (their last reported value) as grey crosses, and the
best trial is marked. No data access here.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from core.plots.style import figure, title

LOG_PARAMS = ("learning_rate",)


def _valued(trials: list[dict[str, Any]], states: tuple[str, ...]) -> list[dict[str, Any]]:
    return [t for t in trials if t.get("state") in states and isinstance(t.get("value"), int | float)
            and math.isfinite(t["value"])]


def _hover(trial: dict[str, Any], metric: str) -> str:
    params = "<br>".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}" for k, v in trial["params"].items())
    return (f"trial {trial['number']} ({trial['state']})<br>{metric} = {trial['value']:.4f}<br>{params}"
            f"<br>run {trial.get('run_id') or '—'}")


def trials_scatter(trials: list[dict[str, Any]], metric: str, x: str = "learning_rate",
                   best: dict[str, Any] | None = None) -> go.Figure:
    """The metric of each trial against setting ``x`` (log axis for the learning rate); the best one starred."""
    traces = []
    for state, marker in (("complete", dict(size=10, color="#636efa")),
                          ("pruned", dict(size=9, color="#adb5bd", symbol="x"))):
        shown = [t for t in _valued(trials, (state,)) if x in t["params"]]
        traces.append(dict(type="scatter", mode="markers", name=state, marker=marker,
                           x=[t["params"][x] for t in shown], y=[t["value"] for t in shown],
                           text=[_hover(t, metric) for t in shown], hoverinfo="text"))
    if best and x in best.get("params", {}):
        traces.append(dict(type="scatter", mode="markers+text", name="best", x=[best["params"][x]],
                           y=[best["value"]], text=[f"best: trial {best['number']}"], textposition="top center",
                           marker=dict(size=18, color="#FFA15A", symbol="star", line=dict(width=1, color="#333")),
                           hovertext=[_hover(best, metric)], hoverinfo="text"))
    notes = [] if trials else ["no trial yet"]
    if not any(x in t.get("params", {}) for t in trials):
        notes.append(f"{x} is not searched")
    return figure(traces, dict(title=title(f"{metric} by {x.replace('_', ' ')}", notes), height=380,
                               xaxis=dict(title=x, type="log" if x in LOG_PARAMS else "linear"),
                               yaxis=dict(title=metric), legend=dict(orientation="h", y=-0.25)))


def trials_parallel(trials: list[dict[str, Any]], metric: str, best: dict[str, Any] | None = None) -> go.Figure:
    """Parallel coordinates of the completed trials: one axis per searched setting, then the metric."""
    shown = _valued(trials, ("complete",))
    names = list(dict.fromkeys(k for t in shown for k in t["params"]))
    shown = [t for t in shown if all(k in t["params"] for k in names)]
    dimensions = []
    for name in names:
        values = [float(t["params"][name]) for t in shown]
        if name in LOG_PARAMS and all(v > 0 for v in values):
            dimensions.append(dict(label=f"log10 {name}", values=[math.log10(v) for v in values]))
        else:
            dimensions.append(dict(label=name, values=values))
    scores = [t["value"] for t in shown]
    dimensions.append(dict(label=metric, values=scores))
    reverse = metric == "eval_loss"
    trace = dict(type="parcoords", dimensions=dimensions,
                 line=dict(color=scores, colorscale="Viridis", reversescale=reverse, showscale=bool(scores),
                           colorbar=dict(title=dict(text=metric))))
    notes = [f"{len(shown)} completed trial(s)"]
    if best:
        notes.append(f"best: trial {best['number']} ({metric} {best['value']:.4f})")
    return figure([trace] if shown else [], dict(title=title("Trials: settings → " + metric, notes), height=380,
                                                 margin=dict(l=70, r=40, t=90, b=30)))
