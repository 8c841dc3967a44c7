"""Repeated texts (core.data.duplicates, split, dedupe): the same text, in case, space and full-width variants,
is never on both sides of a split, for many seeds; the data check says how many were grouped; a copy without
duplicates through core and the CLI; a validation file's texts leave training; the pre-training held-out texts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main
from core.config import DataSettings, RunConfig
from core.data import (
    LABEL,
    TEXT,
    TEXT_PAIR,
    Columns,
    inspect_file,
    load_labelled,
    split_train_val,
    without_overlap,
)
from core.data.dedupe import drop_duplicates
from core.data.duplicates import normalise_text, text_keys
from core.errors import DataError
from core.pretrain.texts import split_texts
from core.training.datasets import load_frames

VARIANTS = [  # (text, label): each base text appears as case, space and full-width/half-width variants
    ("Great film", "pos"), ("great  film", "pos"), ("GREAT FILM ", "pos"), ("Ｇｒｅａｔ　ｆｉｌｍ", "pos"),
    ("这部电影很好", "pos"), ("这部电影 很好", "pos"), ("这部电影很好　", "pos"),
    ("糟糕的电影，浪费时间", "neg"), ("糟糕的电影,浪费时间", "neg"), ("糟糕的电影， 浪费时间", "neg"),
    ("Awful plot", "neg"), ("awful PLOT", "neg"), ("ａｗｆｕｌ ｐｌｏｔ", "neg"),
    ("ﾃｽﾄです", "pos"), ("テストです", "pos"),
]


def _rows(n: int = 60) -> list[tuple[str, str]]:
    return VARIANTS + [(f"unique review number {i}", "pos" if i % 2 else "neg") for i in range(n)]


def _write(path: Path, rows: list[tuple[str, ...]], columns: tuple[str, ...] = ("text", "label")) -> Path:
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def _keys(frame: pd.DataFrame) -> set[str]:
    return set(text_keys(frame[TEXT], frame[TEXT_PAIR] if TEXT_PAIR in frame.columns else None))


def test_variants_share_one_key() -> None:
    assert len({normalise_text(t) for t, _ in VARIANTS[:4]}) == 1
    assert len({normalise_text(t) for t, _ in VARIANTS[4:7]}) == 1
    assert len({normalise_text(t) for t, _ in VARIANTS[7:10]}) == 1
    assert normalise_text("ﾃｽﾄです") == normalise_text("テストです")
    assert normalise_text("New York") != normalise_text("NewYork")  # spaces between words still separate them


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_no_text_is_on_both_sides_for_many_seeds(tmp_path: Path, fraction: float) -> None:
    data = load_labelled(_write(tmp_path / "dups.csv", _rows()))
    for seed in range(40):
        train, val = split_train_val(data, fraction, seed)
        assert not _keys(train) & _keys(val), seed
        assert len(train) + len(val) == len(data.frame) and len(val) >= 1 and len(train) >= 1
        assert set(val[LABEL]) == {"pos", "neg"}  # still stratified
    again = split_train_val(data, 0.25, 3)
    assert again[0].equals(split_train_val(data, 0.25, 3)[0])  # seeded


def test_pairs_are_grouped_by_the_pair(tmp_path: Path) -> None:
    rows = [("Same question", f"answer {i % 3}", "ab"[i % 2]) for i in range(12)]
    rows += [("same  QUESTION", "Answer 1", "b"), ("ＳＡＭＥ question", "answer 1", "b")]
    rows += [(f"question {i}", f"answer {i}", "ab"[i % 2]) for i in range(30)]
    path = _write(tmp_path / "pairs.csv", rows, ("q", "a", "label"))
    data = load_labelled(path, Columns("q", "label", "a"))
    for seed in range(20):
        train, val = split_train_val(data, 0.2, seed)
        assert not _keys(train) & _keys(val)


def test_multi_label_split_groups_too(tmp_path: Path) -> None:
    rows = [(text, "a;b" if label == "pos" else "b") for text, label in _rows(40)]
    data = load_labelled(_write(tmp_path / "multi.csv", rows), Columns(multi_label="yes"))
    assert data.multi_label
    for seed in range(20):
        train, val = split_train_val(data, 0.25, seed)
        assert not _keys(train) & _keys(val)


def test_data_without_repeats_splits_as_before(sentiment_csv: Path) -> None:
    data = load_labelled(sentiment_csv)
    assert data.report.duplicates == 0
    grouped, _ = split_train_val(data, 0.25, seed=1)
    assert grouped.equals(split_train_val(data, 0.25, seed=1, grouped=False)[0])


def test_one_text_only_cannot_be_split(tmp_path: Path) -> None:
    data = load_labelled(_write(tmp_path / "same.csv", [("same", "a"), ("SAME", "b"), ("same ", "a")]))
    with pytest.raises(DataError, match="same text"):
        split_train_val(data, 0.34, seed=0)


def test_the_data_check_says_how_many_were_grouped(tmp_path: Path) -> None:
    result = inspect_file(_write(tmp_path / "dups.csv", _rows()))
    assert result["duplicates"] == 10 and result["duplicate_groups"] == 5
    sentence = next(w for w in result["warnings"] if "repeat one of" in w)
    assert sentence.startswith("10 row(s) repeat one of 5 text(s)") and sentence.count(". ") == 0
    assert result["health"]["duplicates"]["repeated_texts"] == 5


def test_drop_duplicates_keeps_the_first_of_each_text(tmp_path: Path) -> None:
    rows = [*_rows(10), ("great film", "neg"), ("Great Film", "neg")]  # a text given two labels
    path = tmp_path / "reviews.csv"
    pd.DataFrame([(t, label, i) for i, (t, label) in enumerate(rows)], columns=["text", "label", "id"]).to_csv(path, index=False)
    out = tmp_path / "clean.csv"
    summary = drop_duplicates(path, out)
    written = pd.read_csv(out)
    assert list(written.columns) == ["text", "label", "id"]  # every column kept
    assert summary["conflicting_texts"] == 1 and summary["rows_dropped"] == 11 and len(written) == len(rows) - 11
    assert "Great film" in set(written["text"]) and "great film" in set(written["text"])  # one row per label
    assert written["id"].is_monotonic_increasing  # the first rows, in file order
    again = load_labelled(out)
    assert again.report.duplicates == 1 and again.report.duplicate_groups == 1  # only the conflicting text
    strict = drop_duplicates(path, tmp_path / "strict.csv", conflicting="drop")
    assert strict["conflicting_rows_dropped"] == 6 and load_labelled(tmp_path / "strict.csv").report.duplicates == 0


def test_nothing_to_drop_writes_nothing(sentiment_csv: Path, tmp_path: Path) -> None:
    summary = drop_duplicates(sentiment_csv, tmp_path / "copy.csv")
    assert summary["rows_dropped"] == 0 and not summary["written"] and not (tmp_path / "copy.csv").exists()


def test_dedupe_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "dups.csv", _rows())
    assert main(["dedupe", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    out = tmp_path / "dups-no-duplicates.csv"
    assert result["written"] and result["output"] == str(out) and result["rows_dropped"] == 10
    assert load_labelled(out).report.duplicates == 0
    assert main(["dedupe", str(path), "--output", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --output must name a new file")


def test_a_validation_files_texts_leave_training(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _rows(30))
    val = _write(tmp_path / "val.csv", [("GREAT FILM", "pos"), ("这部电影  很好", "pos"), ("new text", "neg")])
    kept, left_out = without_overlap(load_labelled(train).frame, load_labelled(val).frame)
    assert left_out == 7 and not _keys(kept) & _keys(load_labelled(val).frame)
    config = RunConfig(data=DataSettings(train_file=str(train), val_file=str(val)))
    train_frame, _, _ = load_frames(config)
    assert len(train_frame) == len(kept) and config.resolved["split"] == "grouped"
    assert config.resolved["train_val_overlap"]["train_rows_left_out"] == 7
    assert config.resolved["train_val_overlap"]["val_rows_in_train"] == 0


def test_runs_trained_before_keep_their_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "dups.csv", _rows())
    old = RunConfig(data=DataSettings(train_file=str(path)), resolved={"multi_label": False, "train_val_overlap": {}})
    train, val, _ = load_frames(old)
    expected = split_train_val(load_labelled(path), old.data.val_fraction, old.train.seed, grouped=False)
    assert train.equals(expected[0]) and "split" not in old.resolved
    new = RunConfig(data=DataSettings(train_file=str(path)))
    train, val, _ = load_frames(new)
    assert not _keys(train) & _keys(val) and new.resolved["split"] == "grouped"


def test_pretraining_holds_out_every_copy() -> None:
    texts = [text for text, _ in VARIANTS] * 3 + [f"sentence {i}" for i in range(40)]
    for seed in range(30):
        train, held = split_texts(texts, seed)
        assert held and not {normalise_text(t) for t in train} & {normalise_text(t) for t in held}
        assert len(train) + len(held) == len(texts)
