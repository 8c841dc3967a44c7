"""Model comparison: candidates as runs with one budget, the table, the trade-off front and the recommendation;
the CLI end to end; and one sentence for every bad request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.compare import Budget, comparison_result, create_comparison, list_comparisons, parse_candidate
from core.compare.result import pareto, recommend
from core.config import DataSettings, TrainSettings
from core.errors import ConfigError, ModelError, RunError


def _row(run_id: str, f1: float, p50: float) -> dict[str, Any]:
    return {"run_id": run_id, "label": run_id, "f1_macro": f1, "p50_ms": p50}


def test_front_and_recommendation_prefer_a_close_faster_candidate() -> None:
    rows = [_row("big", 0.90, 20.0), _row("small", 0.895, 5.0), _row("bad", 0.70, 6.0), _row("slow", 0.85, 30.0)]
    assert pareto(rows) == ["big", "small"]
    chosen = recommend(rows)
    assert chosen["run_id"] == "small" and chosen["reason"] == "close_and_faster" and chosen["speedup"] == 4.0
    assert recommend([_row("a", 0.9, 5.0), _row("b", 0.7, 1.0)])["reason"] == "best"
    assert recommend([{**_row("a", 0.9, 5.0), "p50_ms": None}]) is None


@pytest.mark.parametrize(("text", "words"), [
    ("default@boosting", "use finetune, lora or setfit"),
    ("", "MODEL@RECIPE"),
    (3, "MODEL@RECIPE"),
])
def test_bad_candidates_are_one_sentence(text: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_candidate(text)


def test_budgets_need_exactly_one_amount_above_zero() -> None:
    for bad in (Budget, lambda: Budget(epochs=0), lambda: Budget(epochs=1, minutes=5), lambda: Budget(minutes=-1)):
        with pytest.raises(ConfigError):
            bad()
    assert Budget(minutes=5).apply(TrainSettings()).time_budget == 5
    assert Budget(epochs=2).apply(TrainSettings(max_steps=9)).max_steps is None


def test_a_comparison_trains_each_candidate_and_recommends_one(tmp_path: Path, tiny_models: Any,
                                                               sentiment_csv: Path) -> None:
    from core.job import run_training

    model = tiny_models("bert")
    candidates = [parse_candidate(f"folder:{model}"), parse_candidate(f"folder:{model}@lora")]
    data = DataSettings(train_file=str(sentiment_csv), val_fraction=0.25)
    base = TrainSettings(batch_size=4, learning_rate=1e-3, device="cpu", eval_steps=2)
    record = create_comparison(data, candidates, Budget(epochs=1), tmp_path / "runs", base=base)
    assert [e["recipe"] for e in record["runs"]] == ["finetune", "lora"]
    first = tmp_path / "runs" / record["runs"][0]["run_id"]
    assert runs.load_config(first).train.epochs == 1.0 and not runs.load_config(first).train.lora
    assert f"compare:{record['id']}" in runs.read_meta(first)["tags"]
    waiting = comparison_result(record["id"], tmp_path / "runs")
    assert waiting["pending"] == 2 and waiting["recommended"] is None
    for entry in record["runs"]:
        assert run_training(tmp_path / "runs" / entry["run_id"])["state"] == "finished"
    result = comparison_result(record["id"], tmp_path / "runs")
    assert result["pending"] == 0 and all(r["p50_ms"] > 0 and r["size_mb"] > 0 for r in result["rows"])
    assert result["recommended"]["run_id"] in result["front"]
    saved = json.loads((tmp_path / "runs" / ".comparisons" / f"{record['id']}.json").read_text())
    assert set(saved["measured"]) == {e["run_id"] for e in record["runs"]}  # kept: not timed again
    assert [c["id"] for c in list_comparisons(tmp_path / "runs")] == [record["id"]]
    assert [r["run_id"] for r in runs.list_runs(tmp_path / "runs")].count(record["runs"][0]["run_id"]) == 1


def test_a_candidate_that_cannot_load_leaves_no_run(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    candidates = [parse_candidate(f"folder:{tiny_models('bert')}"), parse_candidate(f"folder:{tmp_path / 'nothing'}")]
    with pytest.raises((ModelError, ConfigError), match="Candidate .* cannot be trained"):
        create_comparison(DataSettings(train_file=str(sentiment_csv)), candidates, Budget(epochs=1), tmp_path / "runs")
    assert runs.list_runs(tmp_path / "runs") == []
    with pytest.raises(RunError, match="not a comparison id"):
        comparison_result("../x", tmp_path / "runs")


def test_the_cli_compares_two_candidates(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    model = tiny_models("bert")
    code = main(["compare", str(sentiment_csv), "--candidates", f"folder:{model}", f"folder:{model}@lora",
                 "--max-steps", "2", "--epochs", "1", "--batch-size", "4", "--root", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0 and "Recommended:" in out.err
    result = json.loads(out.out)
    assert len(result["rows"]) == 2 and all(r["state"] == "finished" for r in result["rows"])
    assert main(["comparisons", "--root", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == result["id"]
    assert main(["compare", str(sentiment_csv), "--candidates", "default", "--root", str(tmp_path)]) == 2
    assert main(["compare", str(sentiment_csv), "--candidates", "default", "default@setfit", "--root",
                 str(tmp_path)]) == 2  # epochs auto: no budget
    assert "one budget" in capsys.readouterr().err
