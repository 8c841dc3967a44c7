"""Multi-label data: the layouts are recognised, ordinary single-label files are not split, overrides work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.data import Columns, inspect_file, load_labelled, split_train_val
from core.errors import DataError

LABELS = ["billing", "bug", "refund"]
ROWS = [["billing", "bug"], ["bug"], [], ["refund"], ["billing"], ["bug", "refund"], ["billing"], ["bug"],
        ["refund", "billing"], ["billing"], ["bug"], ["refund"]]


def write(tmp_path: Path, name: str, header: list[str], rows: list[list[object]]) -> Path:
    import csv

    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def texts() -> list[str]:
    return [f"ticket number {i} about my account and the app" for i in range(len(ROWS))]


def expected() -> list[tuple[str, ...]]:
    return [tuple(label for label in LABELS if label in row) for row in ROWS]


@pytest.mark.parametrize("cell", [
    lambda row: ";".join(row) or "[]",
    lambda row: "|".join(row) or "[]",
    lambda row: " ; ".join(row) or "[]",
    lambda row: json.dumps(row),
    lambda row: repr(row),  # a Python list, as pandas writes a column of lists
    lambda row: ", ".join(row) or "[]",
])
def test_one_column_of_several_labels(tmp_path: Path, cell) -> None:
    path = write(tmp_path, "tickets.csv", ["text", "labels"], [[t, cell(r)] for t, r in zip(texts(), ROWS, strict=True)])
    data = load_labelled(path)
    assert data.multi_label and data.report.multi_label and data.labels == LABELS
    assert data.frame["label"].tolist() == expected()
    assert data.report.labels == {"billing": 5, "bug": 5, "refund": 4} and data.report.rows_without_label == 1


@pytest.mark.parametrize(("yes", "no"), [("1", "0"), ("yes", "no"), ("True", "False"), ("y", "n")])
def test_zero_one_columns(tmp_path: Path, yes: str, no: str) -> None:
    rows = [[i, t] + [yes if label in r else no for label in LABELS] for i, (t, r) in enumerate(zip(texts(), ROWS, strict=True))]
    path = write(tmp_path, "flags.csv", ["id", "text", *LABELS], rows)
    data = load_labelled(path)
    assert data.multi_label and data.labels == LABELS and data.report.text_column == "text"
    assert data.report.label_column == "billing,bug,refund" and data.report.label_columns == LABELS
    assert data.frame["label"].tolist() == expected()
    again = load_labelled(path, Columns(label=data.report.label_column))  # what a run's config.json holds
    assert again.frame["label"].tolist() == expected()


def test_named_zero_one_columns_leave_other_flags_out(tmp_path: Path) -> None:
    rows = [[t, int("billing" in r), int("bug" in r), i % 2] for i, (t, r) in enumerate(zip(texts(), ROWS, strict=True))]
    path = write(tmp_path, "named.csv", ["text", "billing", "bug", "verified"], rows)
    data = load_labelled(path, Columns(label="billing, bug"))
    assert data.labels == ["billing", "bug"] and data.report.label_column == "billing,bug"


def test_zero_one_column_without_positives_is_left_out(tmp_path: Path) -> None:
    rows = [[t, int("billing" in r), int("bug" in r), 0] for t, r in zip(texts(), ROWS, strict=True)]
    data = load_labelled(write(tmp_path, "none.csv", ["text", "billing", "bug", "refund"], rows))
    assert data.labels == ["billing", "bug"] and any("refund" in w for w in data.report.warnings)


@pytest.mark.parametrize(("label_column", "multi_label", "message"), [
    ("billing,nope", "auto", "'nope' does not exist"),
    ("billing,text", "auto", "values other than 0/1"),
    ("billing,bug", "no", "multi_label is 'no'"),
    (None, "sometimes", "multi_label must be auto, yes or no"),
])
def test_errors_say_what_to_fix(tmp_path: Path, label_column: str | None, multi_label: str, message: str) -> None:
    rows = [[t, int("billing" in r), int("bug" in r)] for t, r in zip(texts(), ROWS, strict=True)]
    path = write(tmp_path, "flags.csv", ["text", "billing", "bug"], rows)
    with pytest.raises(DataError, match=message):
        load_labelled(path, Columns(label=label_column, multi_label=multi_label))


def test_override_no_keeps_combinations_as_classes_and_yes_forces_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "tickets.csv", ["text", "labels"], [[t, ";".join(r) or "none"] for t, r in zip(texts(), ROWS, strict=True)])
    single = load_labelled(path, Columns(multi_label="no"))
    assert not single.multi_label and "billing;bug" in single.labels
    plain = write(tmp_path, "plain.csv", ["text", "label"], [[t, (r or ["none"])[0]] for t, r in zip(texts(), ROWS, strict=True)])
    forced = load_labelled(plain, Columns(multi_label="yes"))
    assert forced.multi_label and all(len(labels) == 1 for labels in forced.frame["label"])
    assert not load_labelled(plain).multi_label


@pytest.mark.parametrize("labels", [
    ["R&D", "Sales", "R&D", "Support", "Sales", "R&D"] * 3,  # '&' is part of a name
    ["positive", "negative", "positive;", "negative", "positive", "negative"] * 3,  # one noisy trailing ';'
    ["Doe, John", "Roe, Jane", "Poe, Edgar", "Doe, John", "Roe, Jane", "Poe, Edgar"] * 3,  # names with commas
    ["1", "2", "3", "4", "5", "3"] * 3,  # ratings
    ["very good, would buy", "bad", "good", "bad", "good", "ok"] * 3,  # a comma inside one class
])
def test_single_label_files_are_not_split(tmp_path: Path, labels: list[str]) -> None:
    rows = [[f"some review text number {i}, with a comma", label] for i, label in enumerate(labels)]
    data = load_labelled(write(tmp_path, "single.csv", ["text", "label"], rows))
    assert not data.multi_label and set(data.labels) == {label.strip() for label in labels}


def test_binary_feature_beside_a_label_column_is_not_a_label(tmp_path: Path) -> None:
    rows = [[f"review {i} was fine", i % 2, (i // 2) % 2] for i in range(20)]
    data = load_labelled(write(tmp_path, "sst.csv", ["sentence", "label", "verified"], rows))
    assert not data.multi_label and data.report.label_column == "label" and data.labels == ["0", "1"]


def test_inspect_reports_counts_co_occurrence_and_labels_per_row(tmp_path: Path) -> None:
    path = write(tmp_path, "tickets.csv", ["text", "labels"], [[t, ";".join(r) or "[]"] for t, r in zip(texts(), ROWS, strict=True)])
    result = inspect_file(path)
    assert result["multi_label"] and result["label_format"] == "separated by ';'"
    stats = result["health"]["multi_label"]
    assert stats["counts"] == {"billing": 5, "bug": 5, "refund": 4}
    assert stats["co_occurrence"][0][1] == 1 and stats["co_occurrence"][0][0] == 5
    assert {tuple(p["labels"]): p["rows"] for p in stats["pairs"]} == {("billing", "bug"): 1, ("billing", "refund"): 1,
                                                                      ("bug", "refund"): 1}
    assert stats["labels_per_row"] == {"0": 1, "1": 8, "2": 3} and stats["rows_without_label"] == 1
    json.dumps(result)  # JSON-ready for the CLI and the API
    assert not inspect_file(path, Columns(multi_label="no"))["multi_label"]


def test_validation_file_reads_the_way_training_does(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", ["text", "labels"], [[t, ";".join(r) or "[]"] for t, r in zip(texts(), ROWS, strict=True)])
    val = write(tmp_path, "val.csv", ["text", "labels"], [["a new ticket", "bug"], ["another one", "billing"]])
    result = inspect_file(train, val_path=val)
    assert result["validation"]["labels"] == {"billing": 1, "bug": 1} and not result["validation"]["unknown_labels"]


def test_split_keeps_tuples_and_every_row(tmp_path: Path) -> None:
    many = [[f"{t} {k}", ";".join(r) or "[]"] for k in range(4) for t, r in zip(texts(), ROWS, strict=True)]
    data = load_labelled(write(tmp_path, "many.csv", ["text", "labels"], many))
    train, val = split_train_val(data, 0.25, seed=0)
    assert len(train) + len(val) == len(many) and all(isinstance(v, tuple) for v in val["label"])
    assert {label for row in val["label"] for label in row} == set(LABELS)


def test_forced_multi_label_reads_the_separator_even_with_empty_json_lists(tmp_path) -> None:
    from core.data import load_labelled

    path = tmp_path / "tickets.csv"
    path.write_text("text,labels\nhello,[]\ncrash,bug\nmoney,refund\ncharged,billing\nboth,bug;refund\n"
                    "again,refund;billing\nmore,billing;bug\nsome,bug\n", encoding="utf-8")
    auto, forced = load_labelled(path), load_labelled(path, Columns(multi_label="yes"))
    assert auto.labels == forced.labels == ["billing", "bug", "refund"]
    assert forced.multi_label and auto.multi_label
