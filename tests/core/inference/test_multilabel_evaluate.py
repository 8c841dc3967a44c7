"""Multi-label evaluation: micro/macro F1, subset accuracy, Hamming loss and per-label scores with TP/FP/FN/TN
(checked against counts made here), label files in every layout, mistakes, threshold curves, save and load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.inference.evaluate import MultiLabelEvaluation, evaluate_file, evaluation_result, write_result
from core.inference.labelsets import label_matrix, label_sets, multilabel_scores
from core.inference.multilabel import load_evaluation, multilabel_predictions
from tests.core.inference.multilabel_model import (
    LABELS,
    ROWS,
    THRESHOLDS,
    make_multilabel_model,
    write_emotions,
)

TRUE = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
PROBABILITIES = np.array([[0.9, 0.2, 0.4], [0.3, 0.6, 0.1], [0.7, 0.2, 0.8], [0.1, 0.4, 0.2]])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_multilabel_model(tmp_path_factory.mktemp("multi"))


def test_scores_match_counts_made_by_hand() -> None:
    evaluation = MultiLabelEvaluation(["a", "b", "c"], None, TRUE, PROBABILITIES, [0.5, 0.5, 0.5])
    # chosen: {a}, {b}, {a, c}, {}: a TP 2; b TP 1 FN 1; c TP 0 FP 1 FN 1
    report = evaluation.report()
    assert report["per_label"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "threshold": 0.5,
                                        "tp": 2, "fp": 0, "fn": 0, "tn": 2}
    assert report["per_label"]["b"]["tp"] == 1 and report["per_label"]["b"]["fn"] == 1
    assert report["per_label"]["b"]["f1"] == pytest.approx(2 / 3)
    assert report["per_label"]["c"]["f1"] == 0.0 and report["per_label"]["c"]["fp"] == 1
    assert report["f1_micro"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))  # TP 3, FP 1, FN 2
    assert report["f1_macro"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert report["subset_accuracy"] == report["accuracy"] == 0.5  # rows 1 and 4
    assert report["hamming_loss"] == pytest.approx(3 / 12)
    assert report["multi_label"] is True and report["samples"] == 4 and report["labels"] == ["a", "b", "c"]
    assert 0 <= report["ece"] <= 1 and sum(b["count"] for b in report["reliability"]) == 12


def test_one_threshold_for_every_label_rescores_without_the_model() -> None:
    evaluation = MultiLabelEvaluation(["a", "b", "c"], None, TRUE, PROBABILITIES, [0.5, 0.5, 0.5])
    report = evaluation.report(0.35)  # chosen: {a,c}, {b}, {a,c}, {b}
    assert report["per_label"]["c"]["tp"] == 1 and report["per_label"]["b"]["fp"] == 1
    assert report["threshold"] == 0.35 and {s["threshold"] for s in report["per_label"].values()} == {0.35}
    with pytest.raises(ConfigError, match="between 0 and 1"):
        evaluation.report(1.5)


def test_mistakes_and_outcomes_list_the_right_rows() -> None:
    evaluation = MultiLabelEvaluation(["a", "b", "c"], ["r0", "r1", "r2", "r3"], TRUE, PROBABILITIES, [0.5] * 3)
    mistakes = evaluation.misclassified()
    assert [m["index"] for m in mistakes] == [2, 0]  # row 2 missed b at 1 - 0.2 (and chose c at 0.8); row 0: 1 - 0.4
    assert mistakes[0] == {"index": 2, "text": "r2", "pair": None, "true": "a;b", "predicted": "a;c",
                           "confidence": 0.8, "target": "b"}
    assert [r["index"] for r in evaluation.examples("b", "fn")] == [2]
    assert [r["index"] for r in evaluation.examples("a", "tn")] == [3, 1]  # 1 - 0.1, then 1 - 0.3
    with pytest.raises(DataError, match="outcome"):
        evaluation.examples("a", "wrong")
    curves = evaluation.threshold_curves()
    assert set(curves) == {"a", "b", "c"} and curves["a"]["threshold"] == 0.5 and len(curves["a"]["f1"]) == 99
    assert curves["c"]["f1"][49] == 0.0 and curves["a"]["f1"][49] == 1.0  # at threshold 0.50


def test_label_cells_in_every_layout_give_the_same_sets() -> None:
    expected = [("a", "b"), ("c",), ()]
    assert label_sets(["a;b", "c", ""]) == label_sets(["a|b", "c", ""]) == expected
    assert label_sets(['["a", "b"]', '["c"]', "[]"]) == label_sets([("a", "b"), ("c",), ()]) == expected
    assert label_matrix(expected, ["a", "b", "c"]).tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    with pytest.raises(DataError, match="Labels in the data that the model does not know: z"):
        label_matrix([("a", "z")], ["a", "b"])


@pytest.mark.parametrize("layout", ["semicolon", "pipe", "json"])
def test_a_labelled_file_is_scored_at_the_models_thresholds(layout: str, model: Path, tmp_path: Path) -> None:
    evaluation = evaluate_file(str(model), write_emotions(tmp_path / "emotions.csv", layout), precision="fp32")
    assert isinstance(evaluation, MultiLabelEvaluation) and evaluation.labels == LABELS
    assert evaluation.thresholds == [THRESHOLDS[label] for label in LABELS]
    rows = [row for row in ROWS if row[1] or layout == "json"]  # an empty cell is a missing label; [] is none
    truth = [[label in labels.split(";") for label in LABELS] for _, labels in rows]
    assert evaluation.true.tolist() == truth and evaluation.texts == [text for text, _ in rows]
    chosen = evaluation.probabilities >= np.array(evaluation.thresholds)
    assert evaluation.report() == {**multilabel_scores(evaluation.true, chosen, LABELS, evaluation.thresholds),
                                   **{k: evaluation.report()[k] for k in ("ece", "reliability")}}


def test_zero_one_columns_are_read_as_label_sets(model: Path, tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_text("text,anger,fear,joy\nso angry,1,0,0\nscared and happy,0,1,1\na quiet day,0,0,0\n"
                    "joyful,0,0,1\nterrified,no,yes,no\n", encoding="utf-8")
    evaluation = evaluate_file(str(model), path)
    assert evaluation.true.astype(int).tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 1], [0, 1, 0]]


def test_unknown_labels_are_refused_by_name(model: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("text,emotions\nwhat a surprise and a delight,joy;surprise\nthe dark scares me,fear\n"
                    "so cross and yet so glad,anger;joy\n", encoding="utf-8")
    with pytest.raises(DataError, match="odd.csv that the model does not know: surprise"):
        evaluate_file(str(model), path)


def test_result_saves_and_loads_with_its_curves(model: Path, tmp_path: Path) -> None:
    evaluation = evaluate_file(str(model), write_emotions(tmp_path / "emotions.csv"))
    result = evaluation_result(evaluation, misclassified=3, full=True)
    assert set(result["threshold_curves"]) == set(LABELS) and len(result["misclassified"]) <= 3
    json.dumps(result)  # plain JSON
    loaded = load_evaluation(write_result(result, tmp_path / "saved.json"))
    assert isinstance(loaded, MultiLabelEvaluation) and loaded.thresholds == evaluation.thresholds
    assert loaded.report()["per_label"] == evaluation.report()["per_label"]


def test_scoring_predictions_already_made() -> None:
    evaluation = multilabel_predictions(["a", "b", "c"], [0.5] * 3, [("a", "c"), ("b",), ("a", "b"), ()],
                                        PROBABILITIES, texts=["w", "x", "y", "z"])
    assert evaluation.true.tolist() == TRUE.tolist() and evaluation.report()["subset_accuracy"] == 0.5
