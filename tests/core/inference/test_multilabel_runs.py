"""A trained multi-label run: its validation set scores exactly its metrics.json; other files and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main
from core.inference.evaluate import MultiLabelEvaluation, evaluate_run
from tests.core.inference.multilabel_model import TOPICS, make_multilabel_run

METRICS = ("f1_micro", "f1_macro", "subset_accuracy", "accuracy", "labels", "samples", "multi_label")


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory: pytest.TempPathFactory, tiny_models) -> Path:
    return make_multilabel_run(tmp_path_factory.mktemp("multi-run"), tiny_models("bert"))


def test_validation_set_scores_equal_the_runs_metrics(topic_run: Path) -> None:
    recorded = json.loads((topic_run / "metrics.json").read_text())
    evaluation = evaluate_run(topic_run)
    report = evaluation.report()
    assert isinstance(evaluation, MultiLabelEvaluation) and recorded["multi_label"] is True
    assert {k: report[k] for k in METRICS} == {k: recorded[k] for k in METRICS}
    assert report["samples"] == 27 and report["labels"] == sorted(TOPICS)
    for label, scores in recorded["per_label"].items():
        assert {k: report["per_label"][label][k] for k in scores} == scores
    thresholds = json.loads((topic_run / "model" / "config.json").read_text())["label_thresholds"]
    assert evaluation.thresholds == [thresholds[label] for label in evaluation.labels]
    assert evaluation.info["precision"] == json.loads((topic_run / "config.json").read_text())["resolved"]["precision"]


def test_another_file_in_another_layout(topic_run: Path, tmp_path: Path) -> None:
    data = tmp_path / "more.csv"
    data.write_text('sentence,kinds\ngoal team coach,"[""sport""]"\nsoup bread code,"[""food"", ""tech""]"\n'
                    'laptop chip,"[""tech""]"\n', encoding="utf-8")
    evaluation = evaluate_run(topic_run, data)
    assert evaluation.true.astype(int).tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 1]]  # food, sport, tech
    assert evaluation.info["data"] == "more.csv"


def test_cli_evaluate_and_predict(topic_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--run", str(topic_run), "--misclassified", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["multi_label"] is True and set(result["per_label"]) == set(TOPICS)
    assert {"hamming_loss", "f1_micro", "subset_accuracy"} <= set(result) and len(result["misclassified"]) <= 2
    assert main(["evaluate", "--run", str(topic_run), "--threshold", "0.3"]) == 0
    assert {s["threshold"] for s in json.loads(capsys.readouterr().out)["per_label"].values()} == {0.3}
    assert main(["predict", "--model", str(topic_run), "goal team coach"]) == 0
    [one] = json.loads(capsys.readouterr().out)
    assert set(one["labels"]) <= set(TOPICS) and one["label"] == ";".join(one["labels"])
    out = tmp_path / "predicted.csv"
    assert main(["predict", "--model", str(topic_run), "--data", str(topic_run.parent / "topics.csv"),
                 "--output", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["evaluation"]["multi_label"] is True and summary["evaluation"]["samples"] == 90
    assert set(summary["thresholds"]) == set(TOPICS) and "probabilities" not in summary
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns[:4]) == ["predicted_labels", "p_food", "p_sport", "p_tech"]
    assert all(set(filter(None, cell.split(";"))) <= set(TOPICS) for cell in frame["predicted_labels"])


def test_figures_of_a_multilabel_evaluation(topic_run: Path) -> None:
    from core.plots import evaluation as figures
    from core.plots.prediction import label_probability_figure

    evaluation = evaluate_run(topic_run)
    report = evaluation.report()
    bars = figures.per_class_figure(report)
    assert [trace.name for trace in bars.data] == ["precision", "recall", "f1"]
    assert list(bars.data[2].y) == [report["per_label"][label]["f1"] for label in report["labels"]]
    assert bars.data[2].x[0] == f"food ({report['per_label']['food']['threshold']:.2f})"
    outcomes = figures.label_outcomes_figure(report)
    assert [list(trace.x) for trace in outcomes.data] == [
        [report["per_label"][label][key] for label in report["labels"]] for key in ("tp", "fn", "fp")]
    curves = evaluation.threshold_curves()
    assert len(figures.label_curves_figure(curves).data) == 2 * len(TOPICS)
    one = figures.threshold_figure(curves["food"], curves["food"]["threshold"])
    assert "food" in one.layout.title.text
    prediction = label_probability_figure({"food": 0.7, "sport": 0.2, "tech": 0.55}, {"food": 0.5, "sport": 0.3,
                                                                                      "tech": 0.6})
    assert list(prediction.data[0].marker.color) == ["#1f5fb4", "#9ab8e0", "#9ab8e0"]  # only food reaches its own
    assert list(prediction.data[1].x) == [0.5, 0.3, 0.6] and prediction.layout.title.text == "Chosen: food"


def test_report_shows_the_multilabel_scores(topic_run: Path, tmp_path: Path) -> None:
    from core.report import build_report

    text = build_report(topic_run, output=tmp_path / "report.html").read_text(encoding="utf-8")
    for words in ("micro F1", "subset accuracy", "Hamming loss", "true positives", "threshold", "one label"):
        assert words in text, words
    assert "predicted food" not in text  # no single-label confusion matrix
    assert text.count('class="example') >= 1 and "<span title=" in text  # explained rows


def test_similar_training_rows_show_their_labels_joined(topic_run: Path) -> None:
    from core.inference import load_for_inference
    from core.inference.similar import build_index, index_folder, similar_examples

    if not index_folder(topic_run).is_dir():
        build_index(topic_run)
    rows = similar_examples(load_for_inference(str(topic_run)), topic_run, "goal team soup", k=5)
    assert rows and all(row["label"] and set(row["label"].split(";")) <= set(TOPICS) for row in rows)

