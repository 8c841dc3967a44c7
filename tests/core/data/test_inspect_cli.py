"""``python -m core inspect`` through ``core.cli.main``: JSON on stdout, one ``error:`` line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main


def test_inspect_prints_json(sentiment_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(sentiment_csv)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 40 and result["labels"] == {"negative": 20, "positive": 20}
    assert (result["text_column"], result["label_column"], result["delimiter"]) == ("review", "sentiment", ",")
    assert result["health"]["class_balance"]["imbalance_ratio"] == 1.0


def test_inspect_with_model_and_max_length(sentiment_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(sentiment_csv), "--model", "default", "--max-length", "4"]) == 0
    tokens = json.loads(capsys.readouterr().out)["health"]["tokens"]
    assert tokens["max_length"] == 4 and tokens["truncated_share"] > 0.5


def test_inspect_column_override_and_val_data(sentiment_csv: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    val = tmp_path / "val.csv"
    val.write_text("review,sentiment\ngreat film,positive\nnew words,negative\n")
    assert main(["inspect", str(sentiment_csv), "--text-column", "review", "--label-column", "sentiment",
                 "--val-data", str(val)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["validation"]["overlap"]["val_rows_in_train"] == 1


@pytest.mark.parametrize(("content", "args", "expected"), [
    (b"", [], "is empty"),
    (b"text,label\n", [], "header but no rows"),
    (b"text,label\na,x\nb,x\n", [], "at least two classes"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", [], "PNG image"),
    (b'text,label\n"open,1\nb,0\n', [], "never closed"),
    (b"text,label\na,x\nb,y\n", ["--label-column", "nope"], "'nope' does not exist"),
    (b"text,label\na,x\nb,y\n", ["--max-length", "0"], "--max-length must be"),
])
def test_inspect_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                     args: list[str], expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["inspect", str(path), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
