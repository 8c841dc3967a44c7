"""The few-shot (SetFit) recipe: a normal run folder on a tiny model, the head copied exactly, advice, checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.job import run_training

pytest.importorskip("setfit")


def fewshot_run(tmp_path: Path, data: Path, model: Path, name: str = "run", **train: Any) -> Path:
    settings = {"recipe": "setfit", "fewshot_pairs": 2, "batch_size": 8, "max_length": 32, "logging_steps": 1, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / name)


def test_setfit_run_is_a_normal_run_folder(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from transformers import AutoModelForSequenceClassification, pipeline

    from core.data import load_labelled
    from core.training.datasets import load_frames

    run_dir = fewshot_run(tmp_path, sentiment_csv, tiny_models("bert"))
    summary = run_training(run_dir)
    assert summary["state"] == "finished" and summary["global_step"] == summary["total_steps"] > 0
    events = runs.read_events(run_dir)
    names = [e["event"] for e in events]
    assert names[0] == "started" and names[-1] == "finished" and names.count("eval") == 1
    steps = [e for e in events if e["event"] == "step"]
    assert len(steps) == summary["total_steps"] and all(np.isfinite(e["loss"]) and e["eta_seconds"] is not None
                                                        or e["step"] == 0 for e in steps)
    assert {"model", "metrics.json", "README.md", "config.json", "events.jsonl", "status.json"} <= {
        p.name for p in run_dir.iterdir()}
    config = runs.load_config(run_dir)
    assert config.train.recipe == "setfit" and config.resolved["recipe"] == "setfit"
    assert 0 <= config.resolved["setfit_mean_pooling_val_accuracy"] <= 1
    # model/ is a standard classifier whose predictions are the ones metrics.json scored
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    assert type(model).__name__ == "BertForSequenceClassification"
    assert model.config.id2label == {0: "negative", 1: "positive"}
    val = load_frames(config)[1]
    classify = pipeline("text-classification", model=str(run_dir / "model"), device="cpu")
    predicted = [p["label"] for p in classify(list(val["text"]))]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(float(np.mean(np.asarray(predicted) == val["label"].to_numpy())))
    assert metrics["samples"] == len(val) and load_labelled(str(sentiment_csv)).labels == config.labels
    # evaluate, attention and export read it like any other run
    from core.attention.extract import extract_attention
    from core.export import export_run
    from core.inference.evaluate import evaluate_run
    from core.inference.loading import load_for_inference

    assert evaluate_run(run_dir).report()["accuracy"] == pytest.approx(metrics["accuracy"])
    loaded = load_for_inference(str(run_dir))
    attention = extract_attention(loaded.model, loaded.tokenizer, "loved it")
    assert attention.attentions.shape[0] == model.config.num_hidden_layers
    assert export_run(run_dir, "zip", tmp_path / "model.zip")["bytes"] > 0


def test_head_is_the_fitted_logistic_regression(tiny_models: Any) -> None:
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import AutoModel, AutoTokenizer

    from core.fewshot.head import classifier_from_body, fit_head, head_inputs

    folder = tiny_models("bert")
    body, tokenizer = AutoModel.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    texts = ["good", "great fun", "bad", "awful mess", "fine", "dull", "superb", "weak plot", "ok", "meh"]
    for labels, ids in ((["a", "b"], [0, 1] * 5), (["a", "b", "c"], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])):
        classifier = classifier_from_body(body, labels)
        assert torch.equal(classifier.bert.encoder.layer[0].attention.self.query.weight,
                           body.encoder.layer[0].attention.self.query.weight)
        fit_head(classifier, tokenizer, texts, ids, 16, seed=0)
        features, logits = head_inputs(classifier, tokenizer, texts, 16)
        reference = LogisticRegression(max_iter=1000, random_state=0).fit(features, ids)
        probabilities = torch.softmax(torch.from_numpy(logits), -1).numpy()
        np.testing.assert_allclose(probabilities, reference.predict_proba(features), atol=1e-5)


def test_stop_mid_training_saves_a_model(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from core.training import stopping

    run_dir = fewshot_run(tmp_path, sentiment_csv, tiny_models("bert"), fewshot_pairs=4)
    calls = {"n": 0}
    real = stopping.stop_requested

    def stop_after_two_steps(folder: Path) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            runs.RunPaths(Path(folder)).stop_flag.write_text("stop")
        return real(folder)

    monkeypatch.setattr(stopping, "stop_requested", stop_after_two_steps)
    summary = run_training(run_dir)
    assert summary["state"] == "stopped" and summary["global_step"] < summary["total_steps"]
    assert (run_dir / "model" / "config.json").exists() and runs.read_status(run_dir)["state"] == "stopped"


def test_advice_recommends_few_shot_only_for_few_rows_per_class(tmp_path: Path) -> None:
    from core.data import load_labelled
    from core.fewshot import FEW_ROWS_PER_CLASS, advice

    def data(per_class: int) -> Any:
        path = tmp_path / f"d{per_class}.csv"
        rows = [f"text number {i} of {c},{c}" for c in ("pos", "neg", "mid") for i in range(per_class)]
        path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return load_labelled(str(path))

    few = advice(data(8))
    assert few is not None and "setfit" in few and "8" in few
    assert advice(data(FEW_ROWS_PER_CLASS + 20)) is None
    assert advice(data(8).report) == few  # the report alone (what the Data tab holds) gives the same advice
    assert advice({"labels": {"a": 5, "b": 7}}) is not None
    assert advice({"labels": {"a": 5, "b": 7}, "multi_label": True}) is None
    assert advice({"labels": {"a": 5}}) is None


def test_preflight_refuses_what_setfit_cannot_train(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    with pytest.raises(ConfigError, match="LoRA"):
        fewshot_run(tmp_path, sentiment_csv, tiny_models("bert"), lora=True)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "setfit" else real(name, *a))
    with pytest.raises(ConfigError, match="pip install"):
        fewshot_run(tmp_path, sentiment_csv, tiny_models("bert"), name="other")
    assert not (tmp_path / "run").exists() and not (tmp_path / "other").exists()


def test_cli_flag_selects_the_recipe() -> None:
    from core.cli.parser import build_parser
    from core.cli.settings import config_from_args, train_command

    args = build_parser().parse_args(["train", "data.csv", "--recipe", "setfit", "--fewshot-pairs", "5"])
    config = config_from_args(args)
    assert config.train.recipe == "setfit" and config.train.fewshot_pairs == 5
    assert "--recipe setfit" in train_command(config)


def test_pooling_layer_is_setfit_mean_pooling(tiny_models: Any) -> None:
    """The extra layer's first-token output is the layer-normed mean over the real tokens (padding left out)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from core.fewshot.head import classifier_from_body

    folder = tiny_models("bert")
    body, tokenizer = AutoModel.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    classifier = classifier_from_body(body, ["a", "b"])
    assert classifier.config.num_hidden_layers == body.config.num_hidden_layers + 1
    batch = tokenizer(["a short one", "a much longer text with many more words in it"], padding=True,
                      return_tensors="pt")
    with torch.no_grad():
        states = classifier.bert(**batch, output_hidden_states=True).hidden_states
        reference = body(**batch).last_hidden_state
    torch.testing.assert_close(states[-2], reference)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (reference * mask).sum(1) / mask.sum(1)
    expected = torch.nn.functional.layer_norm(mean, mean.shape[-1:], eps=body.config.layer_norm_eps)
    torch.testing.assert_close(states[-1][:, 0], expected, atol=3e-3, rtol=1e-3)
    with torch.no_grad():  # in half precision too (a scale of 1e5 overflowed fp16: NaN)
        half = classifier.half().bert(**batch, output_hidden_states=True).hidden_states[-1][:, 0].float()
    assert torch.isfinite(half).all()
    torch.testing.assert_close(half, expected, atol=1e-2, rtol=1e-2)


def test_body_learning_rate_is_setfits_unless_changed() -> None:
    from core.fewshot.train import SETFIT_LEARNING_RATE, body_learning_rate

    assert body_learning_rate(TrainSettings(recipe="setfit")) == SETFIT_LEARNING_RATE == 2e-5
    assert body_learning_rate(TrainSettings(recipe="setfit", learning_rate=5e-5)) == 5e-5
