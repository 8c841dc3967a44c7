"""The predictions file: prediction columns first, every input column kept, formula-like cells escaped
(plain numbers left as numbers), true labels passed on for scoring, bad input refused in one line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.data import Columns
from core.errors import DataError
from core.inference import load_for_inference, predict_file, predict_texts
from core.inference.csvfile import escape_cell, escape_frame
from tests.core.inference.test_predict import sharp_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sharp_model(tmp_path_factory.mktemp("sharp"))


def write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def raw_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


REVIEWS = [["review", "id", "score"], ["a wonderful film", "1", "-3.5"], ["dull and long", "2", "+4"],
           ["=HYPERLINK(\"http://x\")", "3", "-1+2"], ["i loved every minute of it", "4", "7"]]


# --- escaping ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1", "-", "+",
                                  "=ünïcödé", "-1,000", "- 3", "+1-2", "--5"])
def test_formula_starts_are_escaped(cell: str) -> None:
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3.5", "+4", "-0", "+.5", "-2.", "-1e-3", "+6.02E23", "12", "3.5"])
def test_plain_numbers_stay_numbers(cell: str) -> None:
    assert escape_cell(cell) == cell


@pytest.mark.parametrize("cell", ["'=1+1", "a=b", " =1", "éclair - 3", "\u2212 3.5", "＝1", "", "plain text",
                                  "ok\t=1", "1e5-"])
def test_other_cells_are_left_alone(cell: str) -> None:
    assert escape_cell(cell) == cell  # already quoted, formula sign not first, unicode minus and full-width equals


def test_non_text_cells_and_names_are_handled() -> None:
    frame = pd.DataFrame({"=name": ["=x", "-1.5", None], "n": [-1.5, 2.0, 3.0]})
    escaped = escape_frame(frame)
    assert list(escaped.columns) == ["'=name", "n"]
    assert escaped["'=name"].tolist()[:2] == ["'=x", "-1.5"] and escaped["'=name"].isna().tolist()[2]
    assert escaped["n"].tolist() == [-1.5, 2.0, 3.0]
    assert frame["=name"].tolist()[0] == "=x"  # the input frame is not changed


# --- the file --------------------------------------------------------------------------------------------


def test_prediction_columns_come_first_and_inputs_are_kept(model: Path, tmp_path: Path) -> None:
    data = write(tmp_path / "in.csv", REVIEWS)
    loaded = load_for_inference(str(model))
    summary = predict_file(loaded, data, tmp_path / "out.csv", Columns(text="review"))
    rows = raw_rows(tmp_path / "out.csv")
    assert rows[0] == ["predicted_label", "p_negative", "p_positive", "review", "id", "score"]
    assert [r[3:] for r in rows[1:]] == [["a wonderful film", "1", "-3.5"], ["dull and long", "2", "+4"],
                                         ["'=HYPERLINK(\"http://x\")", "3", "'-1+2"],
                                         ["i loved every minute of it", "4", "7"]]
    expected = predict_texts(loaded, [r[0] for r in REVIEWS[1:]])
    for row, want in zip(rows[1:], expected, strict=True):
        assert row[0] == want["label"]
        assert float(row[1]) == pytest.approx(want["scores"]["negative"], abs=1e-6) and len(row[1]) <= 8
        assert float(row[1]) + float(row[2]) == pytest.approx(1, abs=1e-5)
    assert summary["rows"] == 4 and summary["text_column"] == "review" and sum(summary["predicted"].values()) == 4
    assert "true_labels" not in summary  # no column of the model's labels


def test_escaping_can_be_turned_off(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "in.csv", REVIEWS)
    assert main(["predict", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "raw.csv"),
                 "--text-column", "review", "--no-escape-formulas"]) == 0
    assert raw_rows(tmp_path / "raw.csv")[3][3:] == ["=HYPERLINK(\"http://x\")", "3", "-1+2"]
    assert main(["predict", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "safe.csv"),
                 "--text-column", "review"]) == 0
    assert raw_rows(tmp_path / "safe.csv")[3][3] == "'=HYPERLINK(\"http://x\")"


def test_predicted_labels_that_look_like_formulas_are_escaped(tmp_path: Path) -> None:
    from tests.tiny import make_tiny_model

    folder = make_tiny_model(tmp_path / "m", "bert", labels=["-1", "=bad"])
    loaded = load_for_inference(str(folder))
    data = write(tmp_path / "in.csv", [["text"]] + [[t] for t in ("fine", "not fine", "so so")])
    predict_file(loaded, data, tmp_path / "out.csv")
    rows = raw_rows(tmp_path / "out.csv")
    assert rows[0][:3] == ["predicted_label", "p_-1", "p_=bad"]
    assert {r[0] for r in rows[1:]} <= {"-1", "'=bad"}  # -1 is a number; =bad is not


def test_input_columns_named_like_outputs_are_renamed(model: Path, tmp_path: Path) -> None:
    data = write(tmp_path / "again.csv", [["text", "predicted_label", "p_negative"], ["good film", "x", "0.1"],
                                          ["bad film", "y", "0.2"]])
    predict_file(load_for_inference(str(model)), data, tmp_path / "out.csv", Columns(text="text"))
    header = raw_rows(tmp_path / "out.csv")[0]
    assert header == ["predicted_label", "p_negative", "p_positive", "text", "predicted_label_input",
                      "p_negative_input"]


def test_true_labels_are_passed_on_when_the_file_has_them(model: Path, tmp_path: Path) -> None:
    rows = [["sentence", "sentiment"], ["a wonderful film", "positive"], ["dull", "negative"],
            ["great cast", "positive"], ["boring plot", "negative"]]
    data = write(tmp_path / "labelled.csv", rows)
    loaded = load_for_inference(str(model))
    calls: list[tuple[int, int]] = []
    guessed = predict_file(loaded, data, tmp_path / "a.csv", progress=lambda done, total: calls.append((done, total)))
    assert guessed["label_column"] == "sentiment" and guessed["text_column"] == "sentence"
    assert guessed["true_labels"] == ["positive", "negative", "positive", "negative"]
    assert guessed["texts"] == [r[0] for r in rows[1:]]
    probabilities = np.asarray(guessed["probabilities"])
    expected = predict_texts(loaded, guessed["texts"])
    np.testing.assert_allclose(probabilities, [[r["scores"][k] for k in loaded.labels] for r in expected], atol=1e-6)
    assert calls and calls[-1] == (4, 4)
    given = predict_file(loaded, data, tmp_path / "b.csv", Columns(label="sentiment"))
    assert given["true_labels"] == guessed["true_labels"]


@pytest.mark.parametrize(("rows", "message"), [
    ([["text", "label"], ["good", "positive"], ["bad", "terrible"]], "labels the model does not know: terrible"),
    ([["text", "label"], ["good", "positive"], ["bad", ""]], "1 rows without a label"),
    ([["text", "other"], ["good", "positive"], ["bad", "negative"]], "Column 'label' does not exist"),
])
def test_a_given_label_column_must_hold_the_models_labels(model: Path, tmp_path: Path, rows: list[list[str]],
                                                          message: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError, match=message):
        predict_file(load_for_inference(str(model)), data, tmp_path / "out.csv", Columns(text="text", label="label"))
    assert main(["predict", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "o.csv"),
                 "--label-column", "label"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o.csv").exists()


def test_a_guessed_column_of_other_values_is_not_taken_for_labels(model: Path, tmp_path: Path) -> None:
    data = write(tmp_path / "ids.csv", [["text", "label"], ["good film", "1"], ["bad film", "0"], ["ok", "1"]])
    summary = predict_file(load_for_inference(str(model)), data, tmp_path / "out.csv")
    assert "true_labels" not in summary and summary["rows"] == 3


def test_cli_scores_a_labelled_file(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    data = write(tmp_path / "labelled.csv", [["text", "label"], ["good film", "positive"], ["bad film", "negative"],
                                             ["fine", "positive"]])
    assert main(["predict", "--model", str(model), "--data", str(data), "--output", str(tmp_path / "out.csv"),
                 "--label-column", "label"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["label_column"] == "label" and summary["rows"] == 3
    assert {"true_labels", "probabilities", "texts"}.isdisjoint(summary)  # the arrays stay out of the JSON
    assert 0 <= summary["evaluation"]["accuracy"] <= 1
