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
