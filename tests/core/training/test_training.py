"""In-process fine-tuning on tiny models: events, options, reproducibility, LoRA.

The job's side of a run (stop, resume, failures) is tested in tests/core/job."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.job import run_training
from core.training import arguments as train_args
from core.training import datasets as train_data
from core.training import threads as train_threads
from core.training import trainer as train_trainer


def make_run(tmp_path: Path, data: Path, model: Path, name: str = "run", **train: Any) -> Path:
    settings = {"max_steps": 6, "batch_size": 4, "logging_steps": 1, "eval_steps": 3, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / name)


def imbalanced_csv(tmp_path: Path, minority: int = 4, majority: int = 28) -> Path:
    lines = ["text,label"] + [f"good movie number {i},pos" for i in range(majority)]
    lines += [f"bad movie number {i},neg" for i in range(minority)]
    path = tmp_path / "imbalanced.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def test_event_sequence_and_fields(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    summary = run_training(run_dir)
    assert summary["state"] == "finished" and summary["global_step"] == 6
    assert set(summary["metrics"]) >= {"accuracy", "f1_macro"} and summary["train_samples_per_second"] > 0
    events = runs.read_events(run_dir)
    names = kinds(events)
    assert names[0] == "started" and names[-1] == "finished"
    assert names.count("step") == 6 and names.count("eval") == 2 and names.count("checkpoint") == 2
    started = events[0]
    for key in ("total_steps", "device", "precision", "class_weights", "learning_rate", "warmup", "seed"):
        assert key in started, key
    for step in (e for e in events if e["event"] == "step"):
        assert {"loss", "learning_rate", "grad_norm", "samples_per_second", "eta_seconds", "epoch"} <= set(step)
        assert math.isfinite(step["loss"]) and step["samples_per_second"] > 0
    for evaluation in (e for e in events if e["event"] == "eval"):
        assert {"loss", "accuracy", "f1_macro"} <= set(evaluation) and evaluation["step"] in (3, 6)
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [3, 6]
    assert runs.read_status(run_dir)["state"] == "finished"
    resolved = json.loads((run_dir / "config.json").read_text())["resolved"]
    from core.devices import pick_device, pick_precision

    device = pick_device()  # device "auto": the CPU here, a GPU where the tests run on one
    assert resolved["device"] == device and resolved["precision"] == pick_precision(device)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert len(metrics["confusion_matrix"]) == 2 and (run_dir / "README.md").exists()


@pytest.mark.parametrize(("scheduler", "accumulation"), [("linear", 1), ("cosine", 2)])
def test_schedule_and_accumulation(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                   scheduler: str, accumulation: int) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=None, epochs=2,
                       lr_scheduler=scheduler, gradient_accumulation_steps=accumulation, warmup_ratio=0.25)
    summary = run_training(run_dir)
    rows = runs.load_config(run_dir).resolved["train_rows"]
    assert summary["total_steps"] == 2 * math.ceil(rows / (4 * accumulation))
    rates = [e["learning_rate"] for e in runs.read_events(run_dir) if e["event"] == "step"]
    peak = rates.index(max(rates))
    assert 0 < peak < len(rates) - 1 and rates[0] < rates[peak] and rates[-1] < rates[peak]  # warm-up, then decay


def test_the_loss_does_not_grow_with_gradient_accumulation(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    """The first optimizer step's logged loss is a mean over its rows whatever the accumulation: transformers 5
    left a classifier's loss undivided, so it read 0.69 / 1.39 / 2.78 at accumulation 1 / 2 / 4."""
    first = {}
    for accumulation in (1, 4):
        run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), name=f"ga{accumulation}", max_steps=1,
                           eval_steps=1, gradient_accumulation_steps=accumulation, calibrate=False)
        run_training(run_dir)
        first[accumulation] = next(e["loss"] for e in runs.read_events(run_dir) if e["event"] == "step")
    assert 0.5 < first[4] / first[1] < 1.5, first


def test_same_seed_same_metrics(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    model = tiny_models("bert")
    first = run_training(make_run(tmp_path, sentiment_csv, model, "a", seed=7))
    second = run_training(make_run(tmp_path, sentiment_csv, model, "b", seed=7))
    other = run_training(make_run(tmp_path, sentiment_csv, model, "c", seed=8))
    assert first["metrics"]["eval_loss"] == pytest.approx(second["metrics"]["eval_loss"], abs=1e-6)
    assert first["metrics"]["accuracy"] == second["metrics"]["accuracy"]
    losses = [[e["loss"] for e in runs.read_events(tmp_path / n) if e["event"] == "step"] for n in "abc"]
    assert losses[0] == pytest.approx(losses[1], abs=1e-6)
    assert losses[0] != pytest.approx(losses[2], abs=1e-6)
    assert other["global_step"] == 6


@pytest.mark.parametrize(("mode", "imbalanced", "expect_weights"),
                         [("auto", True, True), ("auto", False, False), ("off", True, False), ("on", False, True)])
def test_class_weights_function(mode: str, imbalanced: bool, expect_weights: bool) -> None:
    labels = [0] * 30 + [1] * (5 if imbalanced else 30)
    weights = train_args.class_weights(labels, 2, mode)
    assert (weights is not None) == expect_weights
    if weights and imbalanced:
        assert weights[1] > weights[0] and sum(weights) / 2 == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["auto", "off"])
def test_class_weights_recorded(tmp_path: Path, tiny_models: Any, mode: str) -> None:
    run_dir = make_run(tmp_path, imbalanced_csv(tmp_path), tiny_models("bert"), max_steps=2, class_weights=mode)
    run_training(run_dir)
    resolved = runs.load_config(run_dir).resolved
    started = runs.read_events(run_dir)[0]
    if mode == "auto":
        assert resolved["class_weights"]["neg"] > resolved["class_weights"]["pos"]
        assert started["class_weights"] == resolved["class_weights"]
    else:
        assert resolved["class_weights"] is None and started["class_weights"] is None


def test_early_stopping_keeps_best(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=20, eval_steps=1, learning_rate=1e-9,
                       early_stopping_patience=2, metric_for_best_model="accuracy")
    summary = run_training(run_dir)
    assert summary["early_stopped"] and summary["global_step"] == 3 < summary["total_steps"]
    assert summary["state"] == "finished" and Path(summary["best_checkpoint"]).name == "checkpoint-1"
    assert Path(summary["best_checkpoint"]).is_dir() and (run_dir / "model" / "config.json").exists()
    assert runs.read_events(run_dir)[-1]["early_stopped"] is True


def test_lora_model_loads_with_pipeline(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from transformers import pipeline

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), lora=True, lora_rank=4, learning_rate=1e-3)
    summary = run_training(run_dir)
    assert summary["state"] == "finished"
    model_dir = run_dir / "model"
    assert not (model_dir / "adapter_config.json").exists()  # merged: a plain transformers model
    result = pipeline("text-classification", model=str(model_dir), top_k=None)(["loved it"])[0]
    assert {r["label"] for r in result} == {"positive", "negative"}
    assert runs.load_config(run_dir).resolved["lora_rank"] == 4


def test_busy_cores_sees_a_spinning_process() -> None:
    import subprocess
    import sys

    assert 0.0 <= train_threads.busy_cores(2, window=0.2) <= 2.0
    spinner = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 3: pass"])
    try:
        train_threads.busy_cores(2, window=0.3)  # let the spinner start
        assert train_threads.busy_cores(2, window=0.5) >= 0.5
    finally:
        spinner.kill()
        spinner.wait()


def test_thread_override(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("TUNESCOPE_THREADS", "1")
    try:
        assert train_threads.choose_cpu_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_trainer_uses_shuffled_length_batches(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from core.modelref import source_of
    from core.models import load_tokenizer
    from core.training.sampler import ShuffledLengthGroupedSampler

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), gradient_accumulation_steps=2)
    config = runs.load_config(run_dir)
    tokenizer = load_tokenizer(source_of(config.model))
    train, val = train_data.prepare_datasets(config, tokenizer)
    trainer = train_trainer.build_trainer(config, run_dir, tokenizer, train, val)
    loader = trainer.get_train_dataloader()
    sampler = loader.batch_sampler.sampler  # accelerate wraps the sampler in a batch sampler
    assert isinstance(sampler, ShuffledLengthGroupedSampler)
    assert trainer.args.max_grad_norm == TrainSettings().max_grad_norm == 5.0
    assert sampler.lengths == train["length"] and sampler.batch_size == 4 * 2
    batches = list(loader)
    assert sum(len(b["labels"]) for b in batches) == len(train)


def test_short_runs_train_without_dropout_and_keep_token_embeddings(tmp_path: Path, tiny_models: Any,
                                                                   sentiment_csv: Path) -> None:
    import torch
    from safetensors.torch import load_file

    base = tiny_models("bert")
    run_dir = make_run(tmp_path, sentiment_csv, base, learning_rate=5e-3)
    run_training(run_dir)
    resolved = runs.load_config(run_dir).resolved
    assert resolved["dropout"] == 0.0 and resolved["attention"] == ("eager" if resolved["device"] == "cpu" else "default")
    assert resolved["frozen_embedding_weights"] > 0
    before, after = load_file(base / "model.safetensors"), load_file(run_dir / "model" / "model.safetensors")
    key = next(k for k in after if k.endswith("word_embeddings.weight"))
    layer = next(k for k in after if "layer.0.attention" in k and k.endswith("query.weight"))
    source_key = next(k for k in before if k.endswith("word_embeddings.weight"))
    source_layer = next(k for k in before if "layer.0.attention" in k and k.endswith("query.weight"))
    assert torch.equal(before[source_key], after[key])
    assert not torch.equal(before[source_layer], after[layer])
    saved = json.loads((run_dir / "model" / "config.json").read_text())
    assert saved["hidden_dropout_prob"] == json.loads((base / "config.json").read_text())["hidden_dropout_prob"]
    assert "dropout off, token embeddings frozen" in (run_dir / "README.md").read_text()


def test_embeddings_train_when_asked_and_old_configs_keep_old_behaviour(tmp_path: Path, tiny_models: Any,
                                                                      sentiment_csv: Path) -> None:
    import torch
    from safetensors.torch import load_file

    base = tiny_models("bert")
    run_dir = make_run(tmp_path, sentiment_csv, base, learning_rate=5e-3, freeze_embeddings=False, dropout="model")
    run_training(run_dir)
    resolved = runs.load_config(run_dir).resolved
    assert resolved["dropout"] == "model" and resolved["frozen_embedding_weights"] == 0
    assert "dropout as the base model, token embeddings trained" in (run_dir / "README.md").read_text()
    before, after = load_file(base / "model.safetensors"), load_file(run_dir / "model" / "model.safetensors")
    key = next(k for k in after if k.endswith("word_embeddings.weight"))
    source_key = next(k for k in before if k.endswith("word_embeddings.weight"))
    assert not torch.equal(before[source_key], after[key])
    raw = json.loads((run_dir / "config.json").read_text())
    del raw["train"]["dropout"], raw["train"]["freeze_embeddings"], raw["train"]["max_grad_norm"]  # an older config
    old = RunConfig.from_dict(raw)
    assert old.train.dropout == "model" and old.train.freeze_embeddings is False and old.train.max_grad_norm == 1.0


def test_dropout_settings() -> None:
    from core.config import parse_dropout
    from core.errors import ConfigError

    assert parse_dropout("auto") == "auto" and parse_dropout("") == "auto" and parse_dropout("Model") == "model"
    assert parse_dropout("0.1") == 0.1 and parse_dropout(0) == 0.0
    for bad in ("1.5", "-0.1", "lots"):
        with pytest.raises(ConfigError, match="dropout"):
            parse_dropout(bad)
    assert TrainSettings(epochs=1).resolved_dropout() == 0.0
    assert TrainSettings(epochs=5).resolved_dropout() is None
    assert TrainSettings(dropout="model").resolved_dropout() is None
    assert TrainSettings(dropout=0.2, epochs=5).resolved_dropout() == 0.2
    with pytest.raises(ConfigError, match="dropout"):
        TrainSettings(dropout=2.0).validate()


def test_validation_rows_are_evaluated_longest_first() -> None:
    from datasets import Dataset

    data = Dataset.from_dict({"input_ids": [[1] * n for n in (3, 9, 1, 5)], "length": [3, 9, 1, 5], "labels": [0, 1, 0, 1]})
    ordered = train_trainer.by_length(data)
    assert ordered["length"] == [9, 5, 3, 1] and ordered["labels"] == [1, 1, 0, 0]
    assert train_trainer.by_length(Dataset.from_dict({"labels": [1, 0]}))["labels"] == [1, 0]


def test_a_half_precision_checkpoint_trains_with_fp32_master_weights(tmp_path: Path, tiny_models: Any,
                                                                       sentiment_csv: Path) -> None:
    """transformers 5 loads weights in the checkpoint's dtype: a bf16 checkpoint must still train in fp32."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.modelref import source_of
    from core.models import load_tokenizer

    tiny = tiny_models("bert")
    half = tmp_path / "bf16-bert"
    AutoModelForSequenceClassification.from_pretrained(tiny).to(torch.bfloat16).save_pretrained(half)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(half)
    run_dir = make_run(tmp_path, sentiment_csv, half)
    config = runs.load_config(run_dir)
    tokenizer = load_tokenizer(source_of(config.model))
    train, val = train_data.prepare_datasets(config, tokenizer)
    trainer = train_trainer.build_trainer(config, run_dir, tokenizer, train, val)
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
