"""core.data.health and core.plots.data: duplicates, balance, token lengths under a real tokenizer,
suggested max_length, validation overlap, and the figures drawn from the inspect result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.data import LABEL, TEXT, health, inspect_file
from core.modelref import source_of
from core.models import load_tokenizer
from core.plots.data import health_figures


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer(source_of("default"))


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return path


def test_duplicates_exact_and_conflicting() -> None:
    frame = pd.DataFrame({TEXT: ["a", "a", "b", "b", "c", "b"], LABEL: ["x", "x", "x", "y", "y", "y"]})
    report = health.duplicate_report(frame)
    assert report["exact_duplicate_rows"] == 2
    assert report["conflicting_texts"] == 1 and report["conflicting_rows"] == 3
    assert report["conflicting_examples"] == [{"text": "b", "labels": ["x", "y"]}]


def test_class_balance_ratio() -> None:
    balance = health.class_balance({"a": 90, "b": 10})
    assert balance["imbalance_ratio"] == 9.0 and balance["largest"] == "a" and balance["shares"]["b"] == 0.1


@pytest.mark.parametrize(("p95", "model_max", "expected"), [(3, None, 16), (20, None, 24), (65, 512, 80),
                                                               (130, 512, 144), (900, 512, 512)])
def test_suggested_max_length(p95: int, model_max: int | None, expected: int) -> None:
    assert health.suggest_max_length(p95, model_max) == expected


def test_token_lengths_and_truncation(tmp_path: Path, tokenizer: Any) -> None:
    rows = [(" ".join(["word"] * n), "long" if n > 20 else "short") for n in range(1, 41)]
    result = inspect_file(_write(tmp_path / "lengths.csv", rows), tokenizer=tokenizer, max_length=22)
    tokens = result["health"]["tokens"]
    assert tokens["min"] == 3 and tokens["max"] == 42  # [CLS] ... [SEP]
    assert tokens["truncated_share"] == pytest.approx(20 / 40)
    assert tokens["model_max_length"] == 512 and tokens["suggested_max_length"] % 8 == 0
    assert tokens["suggested_max_length"] >= tokens["p95"] and not tokens["sampled"]
    assert sum(tokens["histogram"]["counts"]) == 40
    assert any("longer than max_length 22" in w for w in result["warnings"])
    json.dumps(result)  # plain JSON all the way down


def test_token_sample_is_capped(tmp_path: Path, tokenizer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "TOKEN_SAMPLE_ROWS", 10)
    rows = [(f"text number {i}", "ab"[i % 2]) for i in range(50)]
    tokens = inspect_file(_write(tmp_path / "many.csv", rows), tokenizer=tokenizer)["health"]["tokens"]
    assert tokens["sampled"] and tokens["sampled_rows"] == 10 and tokens["total_rows"] == 50


def test_inspect_with_model_name(sentiment_csv: Path) -> None:
    tokens = inspect_file(sentiment_csv, model="default", max_length=64)["health"]["tokens"]
    assert tokens["tokenizer"].startswith("MiniLM") and tokens["truncated_share"] == 0.0


def test_validation_overlap_in_inspect(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", [(f"text {i}", "ab"[i % 2]) for i in range(20)])
    val = _write(tmp_path / "val.csv", [("text 1", "a"), ("text 2", "a"), ("brand new", "c"), ("other", "a")])
    result = inspect_file(train, val_path=val)
    validation = result["validation"]
    assert validation["unknown_labels"] == ["c"] and validation["overlap"]["val_rows_in_train"] == 2
    assert validation["overlap"]["conflicting_labels"] == 1
    assert any("also appear in the training data" in w for w in result["warnings"])


def test_conflicting_duplicates_warn(tmp_path: Path) -> None:
    rows = [("same text", "a"), ("same text", "b")] + [(f"t{i}", "ab"[i % 2]) for i in range(10)]
    result = inspect_file(_write(tmp_path / "dup.csv", rows))
    assert result["health"]["duplicates"]["conflicting_texts"] == 1
    assert any("different labels" in w for w in result["warnings"])


def test_figures_from_inspect_result(tmp_path: Path, tokenizer: Any) -> None:
    rows = [(f"some text {i}", "ab"[i % 2]) for i in range(20)] + [("", "a"), ("no label", "")]
    result = inspect_file(_write(tmp_path / "fig.csv", rows), tokenizer=tokenizer, max_length=5)
    figures = health_figures(result)
    assert set(figures) == {"class_balance", "token_lengths", "dropped_rows"}
    assert all(isinstance(f, go.Figure) for f in figures.values())
    assert list(figures["class_balance"].data[0].x) == ["a", "b"]
    assert any(shape.x0 == 5 for shape in figures["token_lengths"].layout.shapes)
    assert dict(zip(figures["dropped_rows"].data[0].y, figures["dropped_rows"].data[0].x, strict=True)) == {
        "missing text": 1, "missing label": 1}


def test_figures_without_tokenizer_or_drops(sentiment_csv: Path) -> None:
    figures = health_figures(inspect_file(sentiment_csv))
    assert set(figures) == {"class_balance", "char_lengths"}
    json.loads(figures["char_lengths"].to_json())
