"""Unlabelled texts for pre-training: .txt lines or paragraphs, tables with a detected text column, the split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import DataError
from core.pretrain.texts import read_texts, split_texts


def test_txt_is_one_text_per_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    lines = [f"line {i}, with a comma" for i in range(12)]
    path.write_text("\n".join(lines[:5]) + "\n\n  " + "\n".join(lines[5:]) + "  \n", encoding="utf-8")
    assert read_texts(path) == lines  # one stray blank line does not make paragraphs


def test_txt_with_blank_line_separated_paragraphs_gives_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text("a first paragraph\nthat goes on\n\nsecond one\nalso two lines\n\nthird\n", encoding="utf-8")
    assert read_texts(path) == ["a first paragraph that goes on", "second one also two lines", "third"]


def test_txt_in_utf16_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes("电影很好看\n演员很棒\n".encode("utf-16"))
    assert read_texts(path) == ["电影很好看", "演员很棒"]


def test_csv_text_column_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    rows = [f"{i},a fairly long review sentence number {i} about the film,{i % 2}" for i in range(30)]
    path.write_text("id,review,score\n" + "\n".join(rows) + "\n", encoding="utf-8")
    texts = read_texts(path)
    assert len(texts) == 30 and texts[0].startswith("a fairly long review sentence number 0")


def test_jsonl_named_column_wins(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = [json.dumps({"body": f"a long body text about topic {i} and more", "title": f"the title of story {i}"}) for i in range(5)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_texts(path, "title") == [f"the title of story {i}" for i in range(5)]
    assert read_texts(path)[0] == "a long body text about topic 0 and more"


def test_too_few_texts_and_missing_file_are_data_errors(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("only one line\n", encoding="utf-8")
    with pytest.raises(DataError, match="at least 2"):
        read_texts(path)
    with pytest.raises(DataError, match="does not exist"):
        read_texts(tmp_path / "missing.txt")


def test_numbers_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("value\n" + "\n".join(str(i * 1.5) for i in range(40)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="not text"):
        read_texts(path)


def test_split_holds_out_five_percent_reproducibly() -> None:
    texts = [f"text {i}" for i in range(200)]
    train, held = split_texts(texts, seed=3)
    assert len(held) == 10 and len(train) == 190 and not set(train) & set(held)
    assert split_texts(texts, seed=3) == (train, held)
    assert split_texts(texts, seed=4)[1] != held
    assert len(split_texts(["a", "b"], seed=0)[1]) == 1


def test_preflight_check_reads_the_file_and_the_models_lm_form(tmp_path: Path, tiny_models) -> None:
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.pretrain.checks import check_pretrain

    path = tmp_path / "corpus.txt"
    path.write_text("one text\nanother text\nand a third\n", encoding="utf-8")
    data = DataSettings(train_file=str(path))
    config = RunConfig(data=data, model=str(tiny_models("bert")),
                       train=TrainSettings(pretrain="file", pretrain_file=str(path)))
    assert check_pretrain(config) == 3
    config.train.pretrain_file = str(tmp_path / "missing.txt")
    with pytest.raises(DataError, match="does not exist"):
        check_pretrain(config)
    assert check_pretrain(RunConfig(data=data, model=str(tiny_models("gpt2")),
                                    train=TrainSettings(pretrain="training text"))) is None
