"""Temperature scaling: the fit recovers a known temperature, folding keeps the decisions and makes the saved
model's ``transformers.pipeline`` probabilities the calibrated ones, and too few rows leave the model alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import DataSettings, RunConfig, TrainSettings
from core.job.calibrate import calibrate, calibration_error, probabilities
from core.training.calibration import (
    CONFIG_KEY,
    fit_label_temperatures,
    fit_temperature,
    fold_temperature,
    moved_thresholds,
    output_layer,
    too_few_rows,
    unfold_temperature,
)
from core.training.outcome import Trained
from tests.tiny import make_tiny_model

LABELS = ["a", "b", "c"]


def overconfident(rows: int, classes: int, t: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``t`` times too large: the true probabilities are softmax(logits / t), labels drawn from them."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(rows, classes))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = np.array([rng.choice(classes, p=row) for row in p])
    return z * t, labels


@pytest.mark.parametrize("t", [0.5, 2.5])
def test_fit_recovers_a_known_temperature(t: float) -> None:
    logits, labels = overconfident(6000, 4, t)
    assert fit_temperature(logits, labels) == pytest.approx(t, rel=0.08)
    assert calibration_error(logits, labels, t)[0] < calibration_error(logits, labels)[0]


def test_fit_recovers_one_temperature_per_label() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, size=(6000, 3))
    truth = (rng.random(z.shape) < 1 / (1 + np.exp(-z))).astype(float)
    truth[:, 2] = 0  # a label never present: nothing to fit, it keeps 1
    fitted = fit_label_temperatures(z * np.array([3.0, 0.5, 2.0]), truth)
    assert fitted[:2] == pytest.approx([3.0, 0.5], rel=0.1) and fitted[2] == 1.0


def test_moved_thresholds_keep_every_decision() -> None:
    rng = np.random.default_rng(2)
    z, t, thresholds = rng.normal(0, 3, size=(500, 3)), np.array([2.0, 0.7, 1.3]), np.array([0.3, 0.5, 0.85])
    before = probabilities(z, True) >= thresholds
    after = probabilities(z, True, t) >= moved_thresholds(thresholds, t)
    assert (before == after).all()


def classifier(tmp_path: Path, family: str) -> tuple[Any, Any, Path]:
    from transformers import AutoModelForSequenceClassification

    from core.modelref import ModelRef
    from core.models import load_tokenizer

    folder = make_tiny_model(tmp_path / family, family, labels=LABELS, seed=3)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    return model, load_tokenizer(ModelRef.from_admin(str(folder)).resolve()), folder


@pytest.mark.parametrize("family", ["bert", "roberta", "distilbert", "gpt2"])
def test_folding_keeps_argmax_and_pipeline_reads_calibrated_probabilities(tmp_path: Path, family: str) -> None:
    import torch
    from transformers import pipeline

    model, tokenizer, _ = classifier(tmp_path, family)
    model.eval()
    texts = ["the movie was wonderful", "a dull boring film", "i loved every minute of it"]
    with torch.no_grad():
        raw = np.stack([model(**tokenizer([t], return_tensors="pt")).logits[0].numpy() for t in texts])
        raw *= 1.0  # copy
    assert fold_temperature(model, 2.0, dict(tokenizer(["probe text"], return_tensors="pt"))) is None
    assert getattr(model.config, CONFIG_KEY) == 2.0
    model.save_pretrained(tmp_path / "saved")
    tokenizer.save_pretrained(tmp_path / "saved")
    assert json.loads((tmp_path / "saved" / "config.json").read_text())[CONFIG_KEY] == 2.0
    scores = pipeline("text-classification", model=str(tmp_path / "saved"), top_k=None)(texts)
    got = np.array([[next(s["score"] for s in row if s["label"] == label) for label in LABELS] for row in scores])
    assert got == pytest.approx(probabilities(raw, False, 2.0), abs=1e-4)
    assert (got.argmax(1) == raw.argmax(1)).all()
    unfold_temperature(model)
    with torch.no_grad():
        back = model(**tokenizer([texts[0]], return_tensors="pt")).logits[0].numpy()
    assert back == pytest.approx(raw[0], abs=1e-4) and not hasattr(model.config, CONFIG_KEY)


def test_roberta_and_decoder_heads_are_found(tmp_path: Path) -> None:
    roberta, _, _ = classifier(tmp_path, "roberta")
    gpt2, _, _ = classifier(tmp_path, "gpt2")
    assert output_layer(roberta) is roberta.classifier.out_proj and output_layer(gpt2) is gpt2.score


def trained_with(model: Any, tokenizer: Any, logits: np.ndarray, labels: np.ndarray) -> Trained:
    return Trained(model=model, tokenizer=tokenizer, report={"accuracy": 1.0}, global_step=1, total_steps=1,
                   validation=(logits, labels))


def config(**train: Any) -> RunConfig:
    return RunConfig(data=DataSettings(train_file="x.csv"), labels=LABELS, train=TrainSettings(**train))


def test_calibrate_folds_and_records(tmp_path: Path) -> None:
    model, tokenizer, _ = classifier(tmp_path, "bert")
    logits, labels = overconfident(400, 3, 3.0)
    run = config()
    record = calibrate(trained_with(model, tokenizer, logits, labels), run)
    assert record["applied"] and record["temperature"] == pytest.approx(3.0, rel=0.3)
    assert record["ece_after"] < record["ece_before"] and len(record["reliability_after"]) == 10
    assert run.resolved["temperature"] == record["temperature"] == getattr(model.config, CONFIG_KEY)


@pytest.mark.parametrize(("rows", "settings", "why"), [(30, {}, "only 30 validation rows"),
                                                      (400, {"calibrate": False}, "turned off")])
def test_too_few_rows_or_off_leave_the_model_as_it_is(tmp_path: Path, rows: int, settings: dict, why: str) -> None:
    model, tokenizer, _ = classifier(tmp_path, "bert")
    before = output_layer(model).weight.detach().clone()
    logits, labels = overconfident(rows, 3, 3.0)
    record = calibrate(trained_with(model, tokenizer, logits, labels), config(**settings))
    assert not record["applied"] and why in record["reason"] and "ece_before" in record
    assert (output_layer(model).weight == before).all() and not hasattr(model.config, CONFIG_KEY)


def test_a_temperature_that_would_not_lower_the_error_is_not_applied(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model, tokenizer, _ = classifier(tmp_path, "bert")
    before = output_layer(model).weight.detach().clone()
    logits, labels = overconfident(400, 3, 1.0)  # already calibrated: a temperature of 4 only blurs them
    monkeypatch.setattr("core.job.calibrate.fit_temperature", lambda *args: np.float64(4.0))
    record = calibrate(trained_with(model, tokenizer, logits, labels), config())
    assert not record["applied"] and "would not lower the validation expected calibration error" in record["reason"]
    assert (output_layer(model).weight == before).all() and not hasattr(model.config, CONFIG_KEY)


def test_too_few_rows_rule() -> None:
    assert too_few_rows(49, 2, False) and too_few_rows(100, 77, False) and too_few_rows(100, 77, True) is None
    assert too_few_rows(50, 2, False) is None


@pytest.mark.parametrize("lora", [False, True])
def test_a_run_with_enough_validation_rows_is_calibrated(tmp_path: Path, tiny_models: Any, lora: bool) -> None:
    from transformers import pipeline

    from core import job, runs

    lines = ["text,label"] + [f"{word} movie number {i},{label}" for i in range(100)
                              for word, label in (("good", "pos"), ("bad", "neg"), ("odd", "meh"))]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = TrainSettings(max_steps=4, batch_size=8, eval_steps=2, lora=lora, lora_rank=4)
    run = RunConfig(data=DataSettings(train_file=str(tmp_path / "rows.csv"), val_fraction=0.2),
                    model=str(tiny_models("bert")), train=settings)
    run_dir = job.create_run(run, run_dir=tmp_path / "run")
    job.run_training(run_dir)
    record = json.loads((run_dir / "metrics.json").read_text())["calibration"]
    assert record["applied"] and record["rows"] == 60 and record["ece_after"] <= record["ece_before"] + 1e-9
    saved = json.loads((run_dir / "model" / "config.json").read_text())
    assert saved[CONFIG_KEY] == record["temperature"] == runs.load_config(run_dir).resolved["temperature"]
    assert "Probabilities calibrated: temperature" in (run_dir / "README.md").read_text()
    scores = pipeline("text-classification", model=str(run_dir / "model"), top_k=None)(["good movie number 7"])
    assert sum(s["score"] for s in scores[0]) == pytest.approx(1.0, abs=1e-5)


def test_a_head_followed_by_more_is_not_folded() -> None:
    from types import SimpleNamespace

    import torch

    class Squashed(torch.nn.Module):  # logits = tanh(linear): dividing the layer is not dividing the logits
        def __init__(self) -> None:
            super().__init__()
            self.config = SimpleNamespace(num_labels=3)
            self.head = torch.nn.Linear(4, 3)

        def forward(self, x: Any) -> Any:
            return SimpleNamespace(logits=torch.tanh(self.head(x) * 5))

    torch.manual_seed(0)
    model = Squashed()
    before = model.head.weight.detach().clone()
    reason = fold_temperature(model, 3.0, {"x": torch.randn(2, 4)})
    assert reason and "cannot be folded" in reason
    assert torch.allclose(model.head.weight, before) and not hasattr(model.config, CONFIG_KEY)


def test_multi_label_calibration_moves_the_thresholds_with_the_temperatures(tmp_path: Path) -> None:
    model, tokenizer, _ = classifier(tmp_path, "bert")
    rng = np.random.default_rng(4)
    z = rng.normal(0, 2, size=(300, 3))
    truth = (rng.random(z.shape) < 1 / (1 + np.exp(-z))).astype(float)
    thresholds = {"a": 0.3, "b": 0.5, "c": 0.8}
    trained = trained_with(model, tokenizer, z * 2.5, truth)
    trained.report.update(multi_label=True, per_label={k: {"threshold": v} for k, v in thresholds.items()})
    record = calibrate(trained, config())
    t = np.asarray(record["temperature"])
    assert record["applied"] and record["multi_label"] and t == pytest.approx([2.5] * 3, rel=0.35)
    moved = [trained.report["per_label"][k]["threshold"] for k in LABELS]
    assert moved == pytest.approx(list(moved_thresholds(np.array(list(thresholds.values())), t)))
    assert model.config.label_thresholds == dict(zip(LABELS, moved, strict=True))
    assert moved[1] == pytest.approx(0.5)  # 0.5 is logit 0 at every temperature
