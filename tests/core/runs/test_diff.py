"""Comparing two runs: flattened config keys that changed, exist on one side only, or are the same; metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core import runs
from core.runs.diff import diff_runs, flatten


def test_flatten_makes_dotted_keys_and_keeps_lists() -> None:
    assert flatten({"model": "m", "labels": ["a", "b"], "train": {"seed": 1, "x": {"y": None}}, "resolved": {}}) == {
        "model": "m", "labels": ["a", "b"], "train.seed": 1, "train.x.y": None, "resolved": {}}


def test_two_real_runs_differ_in_what_was_changed(trained_runs: dict[str, Path]) -> None:
    diff = diff_runs(trained_runs["a"], trained_runs["b"])
    assert diff["changed"]["train.learning_rate"] == [1e-4, 5e-4]
    assert diff["changed"]["train.metric_for_best_model"] == ["f1_macro", "eval_loss"]
    assert "resolved.device" not in diff["changed"] and "model" not in diff["changed"]
    assert diff["only_a"] == diff["only_b"] == {}
    assert diff["same"] > 30 and (diff["run_a"], diff["run_b"]) == (trained_runs["a"].name, trained_runs["b"].name)
    metrics_a = json.loads((trained_runs["a"] / "metrics.json").read_text())
    assert diff["metrics"]["accuracy"][0] == metrics_a["accuracy"] and set(diff["metrics"]) == {
        "accuracy", "f1_macro", "eval_loss"}
    assert diff_runs(trained_runs["a"], trained_runs["a"])["changed"] == {}


def test_keys_on_one_side_only_and_lists(tmp_path: Path, copy_run: Callable[..., Path],
                                         trained_runs: dict[str, Path]) -> None:
    run_b = copy_run(trained_runs["a"], tmp_path / "runs", "copy")
    config = json.loads((run_b / "config.json").read_text())
    config["labels"] = ["negative", "neutral", "positive"]
    config["data"]["val_fraction"] = 0.3
    del config["resolved"]["device"]
    config["resolved"]["extra"] = {"flag": True}
    (run_b / "config.json").write_text(json.dumps(config))
    (run_b / "metrics.json").unlink()
    runs.rename_run(run_b, "the copy")
    diff = diff_runs(trained_runs["a"], run_b)
    assert diff["changed"]["labels"] == [["negative", "positive"], ["negative", "neutral", "positive"]]
    assert diff["changed"]["data.val_fraction"] == [0.25, 0.3]
    assert diff["only_a"] == {"resolved.device": "cpu"} and diff["only_b"] == {"resolved.extra.flag": True}
    assert diff["metrics"]["f1_macro"][1] is None and diff["names"] == [trained_runs["a"].name, "the copy"]


def test_damaged_or_missing_runs_are_refused(tmp_path: Path, copy_run: Callable[..., Path],
                                             trained_runs: dict[str, Path]) -> None:
    broken = copy_run(trained_runs["a"], tmp_path / "runs", "broken")
    (broken / "config.json").write_text("[1]")
    with pytest.raises(runs.RunError, match="cannot be compared"):
        diff_runs(trained_runs["a"], broken)
    with pytest.raises(runs.RunError, match="does not exist"):
        diff_runs(trained_runs["a"], tmp_path / "nothing")
