"""Evaluation figures from plain report dicts: confusion matrix, reliability, per-class bars, threshold curve."""

from __future__ import annotations

import numpy as np
import pytest

from core.inference.evaluation import evaluate_predictions
from core.plots.evaluation import confusion_figure, per_class_figure, reliability_figure, threshold_figure


def evaluation(k: int, n: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = [f"class number {i} with a long name" if i % 7 == 3 else f"c{i}" for i in range(k)]
    probabilities = rng.dirichlet(np.ones(k) * 0.3, size=n)
    true = [labels[i] for i in rng.integers(0, k, size=n)]
    return evaluate_predictions(labels, true, probabilities)


def test_confusion_figure_shows_counts_and_row_shares() -> None:
    report = evaluate_predictions(["neg", "pos"], ["neg", "neg", "neg", "pos"],
                                  [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]).report()
    heatmap = confusion_figure(report).data[0]
    assert report["confusion_matrix"] == [[2, 1], [0, 1]]
    assert np.asarray(heatmap.text).tolist() == [[2, 1], [0, 1]]
    np.testing.assert_allclose(np.asarray(heatmap.z), [[2 / 3, 1 / 3], [0, 1]])  # share of each true class
    assert list(heatmap.y) == ["neg", "pos"] and list(heatmap.x) == ["neg", "pos"]
    assert "of the true class" in heatmap.hovertemplate


@pytest.mark.parametrize("k", [2, 5, 30])
def test_every_figure_draws_from_2_to_30_classes(k: int) -> None:
    report = evaluation(k).report()
    confusion = confusion_figure(report)
    assert np.asarray(confusion.data[0].z).shape == (k, k)
    assert confusion.layout.height >= 140 + 24 * k - 1 and max(len(t) for t in confusion.data[0].x) <= 18
    assert np.asarray(confusion.data[0].customdata).shape == (k, k, 3)  # full names stay in the hover
    bars = per_class_figure(report)
    assert [t.name for t in bars.data] == ["precision", "recall", "f1"] and all(len(t.y) == k for t in bars.data)
    reliability = reliability_figure(report)
    assert f"ECE {report['ece']:.3f}" in reliability.layout.title.text
    used = [b for b in report["reliability"] if b["count"]]
    assert list(reliability.data[0].y) == [b["accuracy"] for b in used]
    assert list(reliability.data[0].text) == [f"n={b['count']}" for b in used]
    assert list(reliability.data[-1].x) == [0, 1]  # the diagonal


def test_threshold_figure_marks_the_current_threshold() -> None:
    ev = evaluation(2)
    curve = ev.threshold_curve()
    figure = threshold_figure(curve, 0.3)
    lines = [t for t in figure.data if t.mode == "lines"]
    markers = [t for t in figure.data if t.mode == "markers"]
    assert [t.name for t in lines] == ["precision", "recall", "f1", "accuracy"]
    assert [t.x[0] for t in markers] == [0.3] * 4
    assert markers[2].y[0] == pytest.approx(ev.report(0.3)["per_class"][ev.labels[1]]["f1"])
    assert markers[3].y[0] == pytest.approx(ev.report(0.3)["accuracy"])
    assert figure.layout.shapes[0].x0 == 0.3 and ev.labels[1] in figure.layout.title.text
