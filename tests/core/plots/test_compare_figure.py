"""Several runs overlaid: one smoothed train-loss line (or one eval-metric line) per run, named by the caller."""

from __future__ import annotations

import math

import pytest

from core.errors import ConfigError
from core.plots.training import compare_figure, smooth


def _run(losses: list[float], evals: list[tuple[int, float, float]]) -> list[dict]:
    events = [{"event": "started", "resumed_from_step": 0}]
    events += [{"event": "step", "step": i, "epoch": i / 4, "loss": v} for i, v in enumerate(losses, 1)]
    events += [{"event": "eval", "step": s, "epoch": s / 4, "loss": loss, "accuracy": acc, "f1_macro": acc - 0.1}
               for s, loss, acc in evals]
    return events


RUNS = {"baseline": _run([1.0, 0.8, 0.6, 0.5], [(2, 0.7, 0.6), (4, 0.5, 0.8)]),
        "lr 5e-4": _run([1.2, 0.7, float("nan"), 0.3, 0.2], [(5, 0.4, 0.9)])}


def test_train_loss_is_one_smoothed_line_per_run_named_by_the_keys() -> None:
    figure = compare_figure(RUNS)
    assert [t.name for t in figure.data] == ["baseline", "lr 5e-4"]
    assert list(figure.data[0].y) == pytest.approx(smooth([1.0, 0.8, 0.6, 0.5]))
    assert list(figure.data[1].x) == [1, 2, 4, 5] and len(figure.data[1].y) == 4  # the NaN step is left out
    assert all(math.isfinite(v) for v in figure.data[1].y)
    assert figure.layout.title.text == "Train loss (smoothed)" and figure.layout.template.layout.plot_bgcolor == "white"


@pytest.mark.parametrize("metric, first", [("f1_macro", [0.5, 0.7]), ("accuracy", [0.6, 0.8]), ("eval_loss", [0.7, 0.5])])
def test_eval_metrics_come_from_the_eval_events(metric: str, first: list[float]) -> None:
    figure = compare_figure(RUNS, metric)
    assert list(figure.data[0].x) == [2, 4] and list(figure.data[0].y) == pytest.approx(first)
    assert figure.data[0].mode == "lines+markers"
    assert (figure.layout.yaxis.range is not None) == (metric != "eval_loss")


def test_epochs_on_x_and_resumed_runs_draw_one_attempt() -> None:
    resumed = _run([1.0, 0.9, 0.8], []) + [{"event": "started", "resumed_from_step": 2},
                                           {"event": "step", "step": 3, "epoch": 0.75, "loss": 0.1}]
    figure = compare_figure({"resumed": resumed}, x="epoch")
    assert list(figure.data[0].x) == [0.25, 0.5, 0.75] and figure.layout.xaxis.title.text == "epoch"


def test_runs_without_points_are_named_so_and_bad_choices_refused() -> None:
    figure = compare_figure({"new": [{"event": "started", "resumed_from_step": 0}]}, "f1_macro")
    assert figure.data[0].name == "new (no f1_macro yet)" and len(compare_figure({}).data) == 0
    with pytest.raises(ConfigError, match="choose one of"):
        compare_figure(RUNS, "precision")
    with pytest.raises(ConfigError, match="'step' or 'epoch'"):
        compare_figure(RUNS, x="time")
