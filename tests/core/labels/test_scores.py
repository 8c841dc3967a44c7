"""Suspicion scores from probabilities: the given label's improbability, per row or per (row, label)."""

from __future__ import annotations

import numpy as np
import pytest

from core.labels import scores
from core.training.dynamics import TrainingDynamics


def test_single_label_ranks_the_improbable_given_label_first_and_suggests_another_label() -> None:
    probabilities = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.05, 0.9, 0.05]])
    found = scores.single_label(np.array([0, 0, 1, 1]), probabilities)
    assert np.argsort(-found.score).tolist()[0] == 1  # given 0, the model says 2 with 0.7
    assert found.suggestion.tolist() == [1, 2, 0, 0]  # never the given label itself
    np.testing.assert_allclose(found.confidence, [0.05, 0.7, 0.3, 0.05])
    np.testing.assert_allclose(found.score, 1 - probabilities[np.arange(4), [0, 0, 1, 1]], atol=1e-6)


def test_multi_label_scores_each_row_and_label_and_suggests_the_flip() -> None:
    given = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    probabilities = np.array([[0.95, 0.9], [0.1, 0.05], [0.8, 0.7]])
    found = scores.multi_label(given, probabilities)
    assert found.score.shape == (3, 2)
    worst = np.unravel_index(np.argmax(found.score), found.score.shape)
    assert worst == (1, 1)  # given 'b' but its probability is 0.05
    assert found.suggestion[1, 1] == 0 and found.suggestion[0, 1] == 1  # remove the given, add the absent
    assert found.confidence[1, 1] == pytest.approx(0.95) and found.confidence[0, 1] == pytest.approx(0.9)


def test_dynamics_average_each_rows_records_and_blends_fall_back_where_one_source_is_missing() -> None:
    dynamics = TrainingDynamics(rows=3, labels=2)
    dynamics.record(np.array([0, 1]), np.array([[0.2, 0.8], [0.6, 0.4]]), epoch=0.0)
    dynamics.record(np.array([0]), np.array([[0.4, 0.6]]), epoch=1.0)
    means = scores.dynamics_probabilities(dynamics)
    np.testing.assert_allclose(means[:2], [[0.3, 0.7], [0.6, 0.4]], atol=1e-3)
    assert np.isnan(means[2]).all()
    final = np.array([[0.5, 0.5], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(scores.blend(final, means, "mixed")[[0, 2]], [[0.4, 0.6], [1.0, 0.0]], atol=1e-3)
    np.testing.assert_allclose(scores.blend(final, means, "dynamics")[2], [1.0, 0.0])
    np.testing.assert_array_equal(scores.blend(final, means, "final"), final)
    with pytest.raises(ValueError):
        scores.blend(final, means, "votes")
