"""Prediction input: empty requests are refused, lone surrogates become U+FFFD instead of a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.errors import DataError
from core.inference import load_for_inference, predict_file, predict_texts
from core.inference.predict import clean_text
from tests.tiny import make_tiny_model


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


@pytest.mark.parametrize("texts", [[""], ["   "], ["\t", "\n "]])
def test_cli_refuses_empty_texts(texts: list[str], classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(classifier), *texts]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: Every text to classify is empty: give texts with words in them.\n"


def test_cli_names_the_empty_text_among_others(classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(classifier), "a fine film", " "]) == 2
    assert capsys.readouterr().err == "error: Text 2 to classify is empty: give texts with words in them.\n"


def test_predict_texts_refuses_only_all_empty_requests(classifier: Path) -> None:
    loaded = load_for_inference(str(classifier))
    with pytest.raises(DataError, match="Every text to classify is empty"):
        predict_texts(loaded, ["", "  \n"])
    assert [r["text"] for r in predict_texts(loaded, ["a fine film", ""])] == ["a fine film", ""]
    assert predict_texts(loaded, []) == []


def test_lone_surrogates_become_replacement_characters(classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert clean_text("a\ud800b") == "a\ufffdb" and clean_text("\udfff") == "\ufffd"
    assert clean_text("\ud83d\ude00 ok") == "\U0001f600 ok"  # a surrogate pair is the character it encodes
    loaded = load_for_inference(str(classifier))
    results = predict_texts(loaded, ["a\ud800b", "\udfff"], pairs=["x\udc80", "fine"])
    assert [r["text"] for r in results] == ["a\ufffdb", "\ufffd"] and results[0]["text_pair"] == "x\ufffd"
    expected = predict_texts(loaded, ["a\ufffdb"], pairs=["x\ufffd"])[0]
    assert results[0]["scores"] == pytest.approx(expected["scores"])
    json.dumps(results, ensure_ascii=False).encode("utf-8")  # valid UTF-8 all the way out
    assert main(["predict", "--model", str(classifier), "good \udcff film"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["text"] == "good \ufffd film"


def test_a_file_with_empty_rows_is_still_predicted(classifier: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.csv"
    data.write_text('text\n""\n""\n', encoding="utf-8")
    result = predict_file(load_for_inference(str(classifier)), data, tmp_path / "out.csv", text_column="text")
    assert result["rows"] == 2
