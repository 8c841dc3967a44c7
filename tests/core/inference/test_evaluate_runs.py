"""Evaluating runs: the rebuilt validation set scores exactly what the run recorded; the CLI's evaluate command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import DataError, ModelError, RunError
from core.inference.evaluate import Evaluation, evaluate_run
from core.job import run_training
from tests.tiny import make_tiny_model

WORDS = {"sport": ["match", "goal", "team", "coach", "league"], "food": ["bread", "soup", "spice", "cook", "meal"],
         "tech": ["chip", "code", "laptop", "robot", "server"]}


def topics_csv(folder: Path) -> Path:
    """90 short texts in three classes, of varied length."""
    rows = []
    for label, words in WORDS.items():
        for i in range(30):
            text = " ".join(words[(i + j) % 5] for j in range(2 + i % 7))
            rows.append(f"{text} number {i},{label}")
    path = folder / "topics.csv"
    path.write_text("text,topic\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def topic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny 3-class run (trained once for the module, in its own cache folder)."""
    folder = tmp_path_factory.mktemp("topic-run")
    model = make_tiny_model(folder / "base", "bert")
    config = RunConfig(data=DataSettings(train_file=str(topics_csv(folder)), val_fraction=0.3), model=str(model),
                       train=TrainSettings(max_steps=30, batch_size=8, learning_rate=1e-2, eval_steps=30,
                                           logging_steps=30, max_length=12, device="cpu"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_CACHE", str(folder / "cache"))
        run_dir = job.create_run(config, run_dir=folder / "run")
        assert run_training(run_dir)["state"] == "finished"
    return run_dir


def test_validation_set_scores_equal_the_runs_metrics(topic_run: Path) -> None:
    recorded = json.loads((topic_run / "metrics.json").read_text())
    evaluation = evaluate_run(topic_run)
    report = evaluation.report()
    assert report["samples"] == recorded["samples"] == 27  # 30% of 90 rows, the run's own split
    assert report["confusion_matrix"] == recorded["confusion_matrix"]
    assert report["accuracy"] == recorded["accuracy"] and report["f1_macro"] == recorded["f1_macro"]
    assert report["per_class"] == recorded["per_class"] and report["labels"] == ["food", "sport", "tech"]
    predicted_classes = sum(any(row[j] for row in report["confusion_matrix"]) for j in range(3))
    assert predicted_classes >= 2 and 0.4 < report["accuracy"] < 1  # a trained model that still makes mistakes
    assert evaluation.info["max_length"] == 12 and evaluation.info["run"] == "run"
    assert evaluation.info["precision"] == runs.load_config(topic_run).resolved["precision"]
    assert "threshold" not in report and len(report["reliability"]) == 10


def test_run_on_another_file_uses_its_labels(topic_run: Path, tmp_path: Path) -> None:
    data = tmp_path / "more.csv"
    data.write_text("sentence,kind\ngoal team coach,sport\nsoup bread,food\nlaptop code chip,tech\n", encoding="utf-8")
    evaluation = evaluate_run(topic_run, data)
    assert evaluation.texts == ["goal team coach", "soup bread", "laptop code chip"]
    assert evaluation.report()["samples"] == 3 and evaluation.info["data"] == "more.csv"
    data.write_text("sentence,kind\ngoal team coach,sport\nsoup bread,cooking\n", encoding="utf-8")
    with pytest.raises(DataError, match="Labels in more.csv that the model does not know: cooking.*food, sport, tech"):
        evaluate_run(topic_run, data)


def test_a_changed_training_file_cannot_rebuild_the_validation_rows(topic_run: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(topic_run, copy)
    config = runs.load_config(copy)
    changed = tmp_path / "topics.csv"
    changed.write_text(Path(config.data.train_file).read_text() + "one more row,food\n")
    config.data.train_file = str(changed)
    config.save(runs.RunPaths(copy).config)
    with pytest.raises(DataError, match="changed after the run was trained.*labelled file instead"):
        evaluate_run(copy)
    changed.unlink()
    with pytest.raises(DataError, match="is gone"):
        evaluate_run(copy)


def test_runs_without_a_model_or_folders_that_are_no_runs_are_refused(topic_run: Path, tmp_path: Path) -> None:
    import shutil

    with pytest.raises(RunError, match="not a TuneScope run folder"):
        evaluate_run(tmp_path)
    copy = tmp_path / "unfinished"
    shutil.copytree(topic_run, copy, ignore=shutil.ignore_patterns("model"))
    with pytest.raises(ModelError, match="no saved model yet"):
        evaluate_run(copy)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors (one line, exit code 2)
        code = int(exc.code)
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.out), captured.err


def test_cli_scores_a_run_on_its_validation_set(topic_run: Path, tmp_path: Path, capsys: Any) -> None:
    output = tmp_path / "out" / "result.json"
    code, out, err = run_cli(capsys, "evaluate", "--run", str(topic_run), "--misclassified", "2",
                             "--output", str(output))
    assert code == 0, err
    recorded = json.loads((topic_run / "metrics.json").read_text())
    assert out["confusion_matrix"] == recorded["confusion_matrix"] and out["data"] == "validation set"
    assert {"f1_weighted", "precision_macro", "recall_macro", "ece", "reliability"} <= set(out)
    assert out["output"] == str(output) and "evaluation" not in out
    assert len(out["misclassified"]) == 2
    assert out["misclassified"][0]["confidence"] >= out["misclassified"][1]["confidence"]
    assert all(m["true"] != m["predicted"] for m in out["misclassified"])
    saved = Evaluation.load(output)
    assert saved.report()["confusion_matrix"] == out["confusion_matrix"] and len(saved.texts) == 27
    assert "threshold_curve" not in json.loads(output.read_text())  # three classes
    code, fp32, _ = run_cli(capsys, "evaluate", "--run", str(topic_run), "--precision", "fp32")
    assert code == 0 and fp32["precision"] == "fp32" and out["precision"] == runs.load_config(topic_run).resolved[
        "precision"]


@pytest.fixture(scope="module")
def binary_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


def test_cli_threshold_and_full_output_for_two_classes(binary_model: Path, sentiment_csv: Path, tmp_path: Path,
                                                       capsys: Any) -> None:
    code, low, _ = run_cli(capsys, "evaluate", "--model", str(binary_model), str(sentiment_csv), "--threshold", "0")
    assert code == 0 and low["threshold"] == 0.0 and low["confusion_matrix"] == [[0, 20], [0, 20]]
    output = tmp_path / "result.json"
    code, out, _ = run_cli(capsys, "evaluate", "--model", str(binary_model), str(sentiment_csv), "--output", str(output))
    full = json.loads(output.read_text())
    assert code == 0 and out["threshold"] == 0.5 and full["threshold_curve"]["positive"] == "positive"
    assert len(full["evaluation"]["probabilities"]) == 40 and full["accuracy"] == out["accuracy"]


@pytest.mark.parametrize("args, message", [
    (["evaluate", "DATA"], "one of the arguments --model --run is required"),
    (["evaluate", "DATA", "--model", "MODEL", "--run", "RUN"], "not allowed with argument"),
    (["evaluate", "--model", "MODEL"], "needs a labelled DATA file"),
    (["evaluate", "DATA", "--model", "MODEL", "--threshold", "1.5"], "threshold must be a probability between 0 and 1"),
    (["evaluate", "--run", "RUN", "--threshold", "0.5"], "needs two classes; this model has 3"),
    (["evaluate", "DATA", "--model", "MODEL", "--misclassified", "-1"], "--misclassified must be 0 or more"),
    (["evaluate", "--run", "DATA"], "does not exist"),
    (["evaluate", "--run", "MODEL"], "not a run folder"),
    (["evaluate", "--run", "RUN", "OTHER"], "does not know: maybe"),
    (["evaluate", "--run", "RUN", "--precision", "int8"], "invalid choice: 'int8'"),
])
def test_cli_bad_input_is_one_error_line(args: list[str], message: str, topic_run: Path, binary_model: Path,
                                         sentiment_csv: Path, tmp_path: Path, capsys: Any) -> None:
    other = tmp_path / "other.csv"
    other.write_text("text,label\n" + "\n".join(f"goal number {i},{'maybe' if i % 2 else 'sport'}"
                                                 for i in range(10)) + "\n")
    names = {"DATA": str(sentiment_csv) if "--run" not in args else str(tmp_path / "nothing"), "MODEL": str(binary_model),
             "RUN": str(topic_run), "OTHER": str(other)}
    code, out, err = run_cli(capsys, *[names.get(a, a) for a in args])
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err


def test_a_run_with_a_validation_file_is_scored_on_that_file(tmp_path: Path) -> None:
    from core.inference.evaluate import validation_frame

    train, val = topics_csv(tmp_path), tmp_path / "val.csv"
    val.write_text("text,topic\ngoal team,sport\nsoup meal,food\n", encoding="utf-8")
    config = RunConfig(data=DataSettings(train_file=str(train), val_file=str(val)), model="default")
    config.data_hash = "not the training file's hash: it does not matter with a validation file"
    frame = validation_frame(config, "run")
    assert frame["text"].tolist() == ["goal team", "soup meal"] and frame["label"].tolist() == ["sport", "food"]


@pytest.mark.slow
def test_real_minilm_run_is_reproduced_exactly(tmp_path: Path, sst2: Path) -> None:
    """bf16 logits put some rows within a hair of the boundary: only the run's own precision and batches
    reproduce its confusion matrix (fp32 moved 2 of SST-2 dev's 872 rows)."""
    import pandas as pd

    sample = pd.read_csv(sst2 / "train.csv").sample(n=600, random_state=1)
    data = tmp_path / "sst2-sample.csv"
    sample.to_csv(data, index=False)
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.5),
                       train=TrainSettings(max_steps=15, batch_size=16, learning_rate=1e-4, max_length=64))
    run_dir = job.create_run(config, run_dir=tmp_path / "real")
    assert run_training(run_dir)["state"] == "finished"
    recorded = json.loads((run_dir / "metrics.json").read_text())
    report = evaluate_run(run_dir).report()
    assert report["samples"] == 300
    assert report["confusion_matrix"] == recorded["confusion_matrix"] and report["accuracy"] == recorded["accuracy"]
