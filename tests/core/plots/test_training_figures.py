"""Figures from plain events: resumed attempts, smoothing, and the loss/metric traces."""

from __future__ import annotations

import pytest

from core.plots.prediction import probability_figure
from core.plots.training import current_attempt, loss_figure, metrics_figure, smooth


def _steps(start: int, stop: int, loss: float) -> list[dict]:
    return [{"event": "step", "step": s, "loss": loss} for s in range(start, stop)]


def test_resume_drops_replayed_steps_after_the_checkpoint() -> None:
    events = [{"event": "started", "resumed_from_step": 0}, *_steps(1, 9, 1.0),
              {"event": "started", "resumed_from_step": 5}, *_steps(6, 11, 0.5)]
    kept = [e["step"] for e in current_attempt(events) if e["event"] == "step"]
    assert kept == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [e["loss"] for e in current_attempt(events) if e["event"] == "step"][5:] == [0.5] * 5


def test_restart_from_scratch_drops_the_whole_earlier_attempt() -> None:
    events = [{"event": "started", "resumed_from_step": 0}, *_steps(1, 5, 1.0),
              {"event": "started", "resumed_from_step": 0}, *_steps(1, 3, 0.5)]
    assert [e["loss"] for e in current_attempt(events) if e["event"] == "step"] == [0.5, 0.5]


def test_smoothing_is_debiased_and_tracks_a_constant() -> None:
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])
    values = smooth([1.0, 0.0, 0.0, 0.0])
    assert values[0] == 1.0 and all(b < a for a, b in zip(values, values[1:], strict=False))


def test_loss_figure_has_raw_smoothed_and_eval_traces() -> None:
    events = [{"event": "started", "resumed_from_step": 0}, *_steps(1, 6, 1.0),
              {"event": "eval", "step": 5, "loss": 0.9, "accuracy": 0.7, "f1_macro": 0.6}]
    figure = loss_figure(events, log_scale=True)
    names = [trace.name for trace in figure.data]
    assert names == ["train loss", "train loss (smoothed)", "eval loss"]
    assert list(figure.data[2].x) == [5] and figure.layout.yaxis.type == "log"
    metrics = metrics_figure(events)
    assert [list(t.y) for t in metrics.data] == [[0.7], [0.6]]


def test_probability_figure_sorts_classes() -> None:
    figure = probability_figure({"a": 0.2, "b": 0.7, "c": 0.1})
    assert list(figure.data[0].y) == ["c", "a", "b"]
