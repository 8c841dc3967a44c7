"""The Train tab's pure helpers: the status text and the equivalent command line."""

from __future__ import annotations

import json
from pathlib import Path

from core.config import DataSettings, RunConfig, TrainSettings
from ui.train_tab import cli_command, status_markdown


def test_status_shows_class_weights_dropout_and_frozen_embeddings(tmp_path: Path) -> None:
    resolved = {"device": "cpu", "precision": "bf16", "class_weights": {"neg": 2.5, "pos": 0.625},
                "dropout": 0.0, "frozen_embedding_weights": 11_720_448}
    (tmp_path / "config.json").write_text(json.dumps({"resolved": resolved}), encoding="utf-8")
    text = status_markdown(str(tmp_path), {"state": "running"})
    assert "class weights neg 2.50, pos 0.62" in text
    assert "dropout off" in text and "token embeddings frozen (11.7 M weights)" in text
    resolved.update(dropout="model", class_weights=None, frozen_embedding_weights=0)
    (tmp_path / "config.json").write_text(json.dumps({"resolved": resolved}), encoding="utf-8")
    text = status_markdown(str(tmp_path), {"state": "finished"})
    assert "the model's dropout" in text and "class weights" not in text and "frozen" not in text


def test_command_line_carries_the_new_options() -> None:
    config = RunConfig(data=DataSettings(train_file="data.csv"), train=TrainSettings(dropout=0.1,
                                                                                     freeze_embeddings=False))
    command = cli_command(config)
    assert "--dropout 0.1" in command and "--train-embeddings" in command
    assert "--dropout" not in cli_command(RunConfig(data=DataSettings(train_file="data.csv")))


def test_zero_gradient_clip_is_refused_not_replaced() -> None:
    import pytest

    from core.errors import ConfigError
    from ui.train_tab import settings_from

    values = dict(epochs=1, batch_size=8, learning_rate=1e-4, max_length=64, seed=1, warmup_ratio=0.0,
                  lr_scheduler="linear", gradient_accumulation_steps=1, max_steps=0, eval_steps=0,
                  early_stopping_patience=0, metric_for_best_model="f1_macro", class_weights="auto", device="cpu",
                  precision="auto", lora=False, lora_rank=8, dropout="auto", train_embeddings=False)
    assert settings_from({**values, "max_grad_norm": None}).max_grad_norm == 5.0  # empty field: the default
    zero = settings_from({**values, "max_grad_norm": 0})
    with pytest.raises(ConfigError, match="max_grad_norm must be above 0"):
        zero.validate()
