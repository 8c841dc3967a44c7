"""Multi-label training on tiny models: BCE with positive weights, metrics, tuned thresholds, training dynamics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.job import run_training
from core.training import metrics
from core.training.arguments import positive_weights
from core.training.datasets import load_frames
from core.training.dynamics import TrainingDynamics

TOPICS = {"billing": "my card was charged twice", "bug": "the app crashes on start",
          "refund": "please send my money back"}


def tickets_csv(tmp_path: Path, rows: int = 48) -> Path:
    """Tickets whose text names their topics; several topics per row joined by ';', some with none."""
    lines = ["text,labels"]
    names = list(TOPICS)
    for i in range(rows):
        chosen = [names[i % 3]] + ([names[(i + 1) % 3]] if i % 4 == 0 else [])
        if i % 7 == 0:
            lines.append(f"hello there ticket {i},[]")
            continue
        lines.append(f"{' and '.join(TOPICS[n] for n in chosen)} ticket {i},{';'.join(chosen)}")
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_run(tmp_path: Path, data: Path, model: Path, **train: Any) -> Path:
    settings = {"max_steps": 6, "batch_size": 8, "logging_steps": 1, "eval_steps": 3, "learning_rate": 1e-3, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / "run")


def test_multi_label_run_end_to_end(tmp_path: Path, tiny_models: Any) -> None:
    run_dir = make_run(tmp_path, tickets_csv(tmp_path), tiny_models("bert"), class_weights="on")
    summary = run_training(run_dir)
    assert summary["state"] == "finished" and summary["metrics"]["multi_label"] is True
    report = json.loads((run_dir / "metrics.json").read_text())
    assert report["multi_label"] is True and report["labels"] == ["billing", "bug", "refund"]
    assert {"f1_micro", "f1_macro", "subset_accuracy", "accuracy", "eval_loss", "samples"} <= set(report)
    assert report["accuracy"] == report["subset_accuracy"]
    assert set(report["per_label"]) == set(TOPICS)
    for scores in report["per_label"].values():
        assert {"precision", "recall", "f1", "support", "threshold"} <= set(scores)
        assert 0.0 < scores["threshold"] < 1.0
    model_config = json.loads((run_dir / "model" / "config.json").read_text())
    assert model_config["problem_type"] == "multi_label_classification"
    assert model_config["label_thresholds"] == {k: v["threshold"] for k, v in report["per_label"].items()}
    assert model_config["id2label"] == {"0": "billing", "1": "bug", "2": "refund"}
    config = runs.load_config(run_dir)
    assert config.resolved["multi_label"] is True and set(config.resolved["positive_weights"]) == set(TOPICS)
    evals = [e for e in runs.read_events(run_dir) if e["event"] == "eval"]
    assert evals and all({"f1_micro", "f1_macro", "subset_accuracy", "accuracy"} <= set(e) for e in evals)
    card = (run_dir / "README.md").read_text()
    assert "Multi-label" in card and "threshold" in card
    dynamics = TrainingDynamics.load(run_dir / "dynamics.npz")
    train_rows = len(load_frames(config)[0])
    assert dynamics.rows == train_rows and dynamics.labels == 3 and dynamics.multi_label
    # 6 steps of 8 over 36 rows: one epoch (five batches, the last of 4 rows) and one batch more, each row once a pass
    assert train_rows == 36 and dynamics.counts.min() == 1 and dynamics.counts.sum() == 36 + 8
    seen = dynamics.probabilities[dynamics.counts > 0, 0].astype(float)
    assert ((seen >= 0) & (seen <= 1)).all() and not np.allclose(seen.sum(axis=1), 1.0)  # sigmoids, not a softmax


def test_single_label_run_records_softmax_dynamics(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=4, eval_steps=2, batch_size=4)
    run_training(run_dir)
    model_config = json.loads((run_dir / "model" / "config.json").read_text())
    assert "label_thresholds" not in model_config and model_config.get("problem_type") != "multi_label_classification"
    dynamics = TrainingDynamics.load(run_dir / "dynamics.npz")
    assert dynamics.rows == len(load_frames(runs.load_config(run_dir))[0]) and not dynamics.multi_label
    first = dynamics.probabilities[dynamics.counts > 0, 0].astype(float)
    assert dynamics.counts.sum() == 16 and np.allclose(first.sum(axis=1), 1.0, atol=1e-2)


def test_thresholds_maximise_f1_per_label() -> None:
    y = np.array([[1, 0], [1, 0], [0, 0], [0, 0]])
    probabilities = np.array([[0.3, 0.9], [0.25, 0.2], [0.1, 0.8], [0.2, 0.1]])
    thresholds = metrics.tune_thresholds(y, probabilities)
    assert thresholds[0] == pytest.approx(0.25)  # 0.25 separates the positives (0.3, 0.25) from the rest
    assert thresholds[1] == 0.5  # no positives in validation: the default
    logits = np.log(probabilities / (1 - probabilities))
    report = metrics.final_report(y, logits, ["a", "b"])
    assert report["per_label"]["a"]["f1"] == 1.0 and report["per_label"]["a"]["threshold"] == pytest.approx(0.25)
    assert metrics.label_thresholds(report) == {"a": pytest.approx(0.25), "b": 0.5}
    assert report["at_default_threshold"]["f1_micro"] < report["f1_micro"]


def test_positive_weights_follow_the_class_weights_setting() -> None:
    rows = [[1, 0]] * 9 + [[1, 1]]  # 'b' is rare: 1 positive in 10
    assert positive_weights(rows, 2, "off") is None
    weights = positive_weights(rows, 2, "auto")
    assert weights is not None and weights[0] == 1.0 and weights[1] == pytest.approx(3.0)
    assert positive_weights([[1, 0], [0, 1]], 2, "auto") is None  # balanced: auto leaves the loss alone
    assert positive_weights([[1, 0], [0, 1]], 2, "on") == [1.0, 1.0]
