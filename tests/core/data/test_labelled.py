"""core.data: a corpus of labelled files written here (every format, encoding, delimiter, header or
not, messy labels), the broken files users really upload, column choice, splitting, the real SST files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core import data
from core.data import (
    LABEL,
    TEXT,
    TEXT_PAIR,
    Columns,
    inspect_file,
    labelled,
    load_labelled,
    read_table,
    split_train_val,
)
from core.errors import DataError

ROWS = [
    ("great film, truly moving", "positive"), ("awful film and a dull plot", "negative"),
    ("loved every minute of it", "positive"), ("hated the acting throughout", "negative"),
    ("a joy to watch – café scenes", "positive"), ("a chore to sit through", "negative"),
    ("brilliant and “heartfelt”", "positive"), ("tedious, slow and silly", "negative"),
]
FRAME = pd.DataFrame(ROWS, columns=["review", "sentiment"])


def _csv(path: Path, **kwargs: object) -> None:
    FRAME.to_csv(path, index=False, **kwargs)


WRITERS = {
    "comma.csv": lambda p: _csv(p),
    "tab.tsv": lambda p: _csv(p, sep="\t"),
    "tab-named.csv": lambda p: _csv(p, sep="\t"),
    "semicolon.csv": lambda p: _csv(p, sep=";"),
    "pipe.txt": lambda p: _csv(p, sep="|"),
    "caret.csv": lambda p: _csv(p, sep="^"),
    "bom.csv": lambda p: _csv(p, encoding="utf-8-sig"),
    "utf16.csv": lambda p: _csv(p, encoding="utf-16"),
    "utf16-tab.tsv": lambda p: _csv(p, sep="\t", encoding="utf-16"),
    "crlf.csv": lambda p: _csv(p, lineterminator="\r\n"),
    "lines.jsonl": lambda p: FRAME.to_json(p, orient="records", lines=True, force_ascii=False),
    "array.json": lambda p: FRAME.to_json(p, orient="records", force_ascii=False),
    "table.parquet": lambda p: FRAME.to_parquet(p),
    "book.xlsx": lambda p: FRAME.to_excel(p, index=False),
    "parquet-named.csv": lambda p: FRAME.to_parquet(p),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_every_format_reads_the_same_table(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    WRITERS[name](path)
    loaded = load_labelled(path)
    assert (loaded.report.text_column, loaded.report.label_column) == ("review", "sentiment")
    assert loaded.labels == ["negative", "positive"]
    assert loaded.frame[TEXT].tolist() == FRAME["review"].tolist()
    assert loaded.report.rows_kept == len(ROWS) and loaded.report.dropped == {}


@pytest.mark.parametrize(("sep", "expected"), [(",", ","), ("\t", "\t"), (";", ";"), ("|", "|"), ("^", "^"), ("~", "~")])
def test_delimiter_is_sniffed(tmp_path: Path, sep: str, expected: str) -> None:
    path = tmp_path / "data.txt"
    _csv(path, sep=sep)
    assert read_table(path)[1].delimiter == expected


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_encodings_are_detected_and_text_survives(tmp_path: Path, encoding: str) -> None:
    frame = FRAME.assign(review=FRAME["review"].str.replace("–", "-").str.replace("“", '"').str.replace("”", '"'))
    frame.loc[0, "review"] = "déjà vu, naïve and très façade"
    path = tmp_path / "enc.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    loaded = load_labelled(path)
    assert loaded.frame[TEXT].iloc[0] == "déjà vu, naïve and très façade"
    if encoding in ("utf-16", "utf-8-sig"):
        assert loaded.report.encoding == encoding
    elif encoding != "utf-8":
        assert loaded.report.encoding in ("cp1252", "latin-1")


def test_cp1252_smart_quotes(tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    FRAME.to_csv(path, index=False, encoding="cp1252")
    loaded = load_labelled(path)
    assert loaded.report.encoding == "cp1252"
    assert "brilliant and “heartfelt”" in loaded.frame[TEXT].tolist()


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_headerless_files_get_synthetic_names(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"noheader{suffix}"
    if suffix == ".xlsx":
        FRAME.to_excel(path, index=False, header=False)
    else:
        _csv(path, header=False, sep="\t" if suffix == ".tsv" else ",")
    loaded = load_labelled(path)
    assert loaded.report.columns == ["column_1", "column_2"] and not loaded.report.has_header
    assert (loaded.report.text_column, loaded.report.label_column) == ("column_1", "column_2")
    assert loaded.report.rows_kept == len(ROWS)
    assert any("No header row" in w for w in loaded.report.warnings)


def test_headerless_numeric_labels(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("".join(f"{text.replace(',', '')},{i % 2}\n" for i, (text, _) in enumerate(ROWS)))
    loaded = load_labelled(path)
    assert not loaded.report.has_header and loaded.labels == ["0", "1"] and loaded.report.rows_kept == len(ROWS)


def test_header_with_numeric_labels_is_a_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("sentence,label\n" + "".join(f'"{t}",{i % 2}\n' for i, (t, _) in enumerate(ROWS)))
    assert load_labelled(path).report.has_header


def test_messy_labels_are_normalised(tmp_path: Path) -> None:
    labels = ["1", "1.0", " 0 ", "0.0", "+1", "0", "1.00", "0"]
    path = tmp_path / "messy.csv"
    pd.DataFrame({"text": FRAME["review"], "label": labels}).to_csv(path, index=False)
    loaded = load_labelled(path)
    assert loaded.labels == ["0", "1"] and loaded.report.labels == {"0": 4, "1": 4}


def test_excel_numbers_and_strings_are_one_class(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    pd.DataFrame({"text": FRAME["review"], "label": [1.0, 0.0, 1, 0, "1", " 0 ", 1.0, "0.0"]}).to_excel(path, index=False)
    assert load_labelled(path).report.labels == {"0": 4, "1": 4}


def test_string_labels_strip_whitespace_and_keep_case_apart(tmp_path: Path) -> None:
    path = tmp_path / "case.csv"
    labels = [" positive", "negative ", "Positive", "negative", "positive", "negative", "positive", "negative"]
    pd.DataFrame({"text": FRAME["review"], "label": labels}).to_csv(path, index=False)
    loaded = load_labelled(path)
    assert loaded.report.labels == {"Positive": 1, "negative": 4, "positive": 3}
    assert any("differ only in case" in w and "Positive" in w for w in loaded.report.warnings)


def test_missing_text_and_label_rows_are_dropped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("text,label\ngood,pos\nbad,neg\n,pos\n   ,neg\nfine,\nok,  \nnice,pos\nugly,neg\n")
    loaded = load_labelled(path)
    assert loaded.report.dropped == {"missing text": 2, "missing label": 2}
    assert loaded.report.rows_read == 8 and loaded.report.rows_kept == 4
    assert any("Dropped 2 row(s) with missing text, 2 row(s) with missing label" in w for w in loaded.report.warnings)


def test_few_examples_per_class_warns(sentiment_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "rare.csv"
    path.write_text(sentiment_csv.read_text() + "odd one,neutral\n")
    loaded = load_labelled(path)
    assert any("fewer than 5 examples: neutral" in w for w in loaded.report.warnings)


def test_sentence_pair_column_and_hint(tmp_path: Path) -> None:
    path = tmp_path / "nli.csv"
    premises = [f"a person number {i} is walking a dog in the park today" for i in range(12)]
    hypotheses = [f"somebody {i} is outside with an animal friend" for i in range(12)]
    pd.DataFrame({"premise": premises, "hypothesis": hypotheses, "label": ["yes", "no", "maybe"] * 4}).to_csv(path, index=False)
    single = load_labelled(path)
    assert single.report.label_column == "label"
    assert any("second text column" in w for w in single.report.warnings)
    paired = load_labelled(path, Columns(text="premise", pair="hypothesis"))
    assert paired.has_pair and list(paired.frame.columns) == [TEXT, TEXT_PAIR, LABEL]
    assert paired.frame[TEXT_PAIR].iloc[0] == hypotheses[0]


def test_columns_are_guessed_among_distractors(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    pd.DataFrame({"id": range(8), "label": [r[1] for r in ROWS], "notes": ["x"] * 8,
                  "body": FRAME["review"], "score": [0.5] * 8}).to_csv(path, index=False)
    report = load_labelled(path).report
    assert (report.text_column, report.label_column) == ("body", "label")


def test_columns_can_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    pd.DataFrame({"a": FRAME["review"], "b": FRAME["sentiment"], "c": ["x", "y"] * 4}).to_csv(path, index=False)
    report = load_labelled(path, Columns(text="a", label="c")).report
    assert (report.text_column, report.label_column) == ("a", "c")
    assert load_labelled(path, Columns(label="c")).report.text_column == "a"


def _zip(path: Path) -> None:
    """Several files in one zip (a zip holding one table alone is read: tests/core/data/test_hostile.py)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.csv", "text,label\na,b\n")
        archive.writestr("other.csv", "text,label\nc,d\n")


BROKEN = {
    "empty": ("empty.csv", lambda p: p.write_bytes(b""), "is empty"),
    "blank lines": ("blank.csv", lambda p: p.write_text("\n\n  \n"), "no text"),
    "header only": ("header.csv", lambda p: p.write_text("text,label\n"), "header but no rows"),
    "one class": ("one.csv", lambda p: p.write_text("text,label\na,x\nb,x\nc,x\n"), "at least two classes"),
    "binary": ("garbage.csv", lambda p: p.write_bytes(bytes(range(256)) * 20), "binary data"),
    "random bytes": ("noise.csv", lambda p: p.write_bytes(os.urandom(4096)), "binary data"),
    "zip": ("archive.csv", _zip, "zip archive"),
    "png": ("picture.csv", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200)), "PNG image"),
    "jpeg": ("photo.csv", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(200)), "JPEG image"),
    "pdf": ("doc.csv", lambda p: p.write_bytes(b"%PDF-1.7\n" + os.urandom(200)), "PDF"),
    "unbalanced quote": ("quote.csv", lambda p: p.write_text('text,label\n"great film,1\nawful,0\nok,1\n'), "never closed"),
    "one column": ("single.csv", lambda p: p.write_text("text\nfoo\nbar\n"), "only 1 column"),
    "fake xlsx": ("fake.xlsx", lambda p: p.write_text("text,label\na,b\n"), "not one"),
    "bad jsonl": ("bad.jsonl", lambda p: p.write_text('{"text": "a", "label": 1}\n{"text": oops}\n'), "Line 2"),
    "json scalars": ("scalars.json", lambda p: p.write_text("[1, 2, 3]"), "JSON objects"),
    "ragged rows": ("ragged.csv", lambda p: p.write_text("text,label\n" + "a,b,c,d\n" * 30 + "x,y\n"), "number of"),
    "labels all missing": ("nolabels.csv", lambda p: p.write_text("text,label\na,\nb,\n"), "no usable labels"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_raise_one_clear_sentence(tmp_path: Path, case: str) -> None:
    name, write, expected = BROKEN[case]
    path = tmp_path / name
    write(path)
    with pytest.raises(DataError) as info:
        load_labelled(path)
    message = str(info.value)
    assert expected in message
    assert ":" in message and "\n" not in message and "Traceback" not in message
    assert len(message) < 400


def test_missing_column_names_the_choices(sentiment_csv: Path) -> None:
    with pytest.raises(DataError, match=r"'nope' does not exist; the file has: review, sentiment"):
        load_labelled(sentiment_csv, Columns(text="nope"))
    with pytest.raises(DataError, match="label column 'missing'"):
        load_labelled(sentiment_csv, Columns(label="missing"))
    with pytest.raises(DataError, match="both 'review'"):
        load_labelled(sentiment_csv, Columns(text="review", label="review"))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_labelled(tmp_path / "nothing.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_labelled(tmp_path)


def test_upload_limit_is_configurable(sentiment_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="over the .* MB limit"):
        load_labelled(sentiment_csv, max_bytes=100)
    monkeypatch.setattr(labelled, "MAX_FILE_BYTES", 100)
    with pytest.raises(DataError, match="TUNESCOPE_MAX_FILE_MB"):
        read_table(sentiment_csv)


def test_a_few_malformed_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    good = "".join(f'"{t}",{s}\n' for t, s in ROWS * 5)
    path.write_text("text,label\n" + good + "one,too,many,fields\n")
    loaded = load_labelled(path)
    assert loaded.report.dropped == {"malformed row": 1} and loaded.report.rows_read == len(ROWS) * 5 + 1
    assert any("malformed" in w for w in loaded.report.warnings)


def test_quote_inside_unquoted_field_is_text(tmp_path: Path) -> None:
    path = tmp_path / "inch.csv"
    path.write_text("text,label\na 12\" pizza,food\nsome film,movie\nbig salad,food\nlong film,movie\n")
    assert "a 12\" pizza" in load_labelled(path).frame[TEXT].tolist()


def test_split_is_stratified_and_seeded(sentiment_csv: Path) -> None:
    loaded = load_labelled(sentiment_csv)
    train, val = split_train_val(loaded, 0.25, seed=1)
    again, _ = split_train_val(loaded, 0.25, seed=1)
    assert len(val) == 10 and len(train) == 30 and train.equals(again)
    assert val[LABEL].value_counts().to_dict() == {"positive": 5, "negative": 5}
    with pytest.raises(DataError, match="between 0 and 1"):
        split_train_val(loaded, 1.5, seed=1)


def test_overlap_report_counts_shared_texts() -> None:
    train = pd.DataFrame({TEXT: ["a", "b", "c", "c"], LABEL: ["x", "y", "x", "x"]})
    val = pd.DataFrame({TEXT: ["c", "d", "b", "b"], LABEL: ["x", "x", "x", "y"]})
    report = data.overlap_report(train, val)
    assert report["overlapping_texts"] == 2 and report["val_rows_in_train"] == 3
    assert report["val_share_in_train"] == 0.75 and report["conflicting_labels"] == 1
    assert set(report["examples"]) == {"b", "c"}


def test_inspect_keeps_the_cli_keys(sentiment_csv: Path) -> None:
    result = inspect_file(sentiment_csv)
    for key in ("rows", "columns", "text_column", "label_column", "labels", "encoding", "delimiter", "warnings", "health"):
        assert key in result
    assert result["labels"] == {"negative": 20, "positive": 20} and result["health"]["tokens"] is None


@pytest.mark.parametrize(("split", "rows"), [("train", 6920), ("dev", 872), ("test", 1821)])
def test_real_sst2(sst2: Path, split: str, rows: int) -> None:
    loaded = load_labelled(sst2 / f"{split}.csv")
    assert loaded.labels == ["0", "1"] and loaded.report.rows_kept == rows
    assert (loaded.report.text_column, loaded.report.label_column) == ("sentence", "label")


def test_real_sst5_named_classes(sst2: Path) -> None:
    path = sst2.parent / "sst5" / "dev.csv"
    if not path.exists():
        pytest.skip("../shared/data/sst5 is not present")
    loaded = load_labelled(path)
    assert loaded.report.label_column == "sentiment" and len(loaded.labels) == 5


def test_real_sst2_headerless_copy(sst2: Path, tmp_path: Path) -> None:
    lines = (sst2 / "dev.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "dev_noheader.csv"
    path.write_text("".join(lines[1:]), encoding="utf-8")
    loaded = load_labelled(path)
    assert not loaded.report.has_header and loaded.report.rows_kept == len(lines) - 1


def test_inspect_preview_rows_keeps_the_file_as_read(tmp_path: Path) -> None:
    path = tmp_path / "preview.csv"
    path.write_text("id,text,label\n1,good film,pos\n2,,neg\n3,bad film,neg\n4,fine film,pos\n", encoding="utf-8")
    result = inspect_file(path, Columns(text="text", label="label"), preview_rows=2)
    assert result["preview"] == [{"id": "1", "text": "good film", "label": "pos"},
                                 {"id": "2", "text": None, "label": "neg"}]
    assert "preview" not in inspect_file(path, Columns(text="text", label="label"))
