"""The Train tab's form and view helpers: the form's settings, the equivalent command, the status text."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import gradio as gr
import pytest

from core.cli.parser import build_parser
from core.cli.settings import config_from_args, train_command
from core.config import DataSettings, RunConfig, TrainSettings
from core.data import Columns
from core.errors import ConfigError
from core.settings import specs
from ui.api.settings import form_settings
from ui.tabs.train.form import build_form, form_values
from ui.tabs.train.format import plan_markdown, status_markdown

NON_DEFAULT = dict(epochs=3, batch_size=8, learning_rate=5e-5, max_length=64, seed=7, val_fraction=0.25,
                   warmup_ratio=0.1, lr_scheduler="cosine", weight_decay=0.05, gradient_accumulation_steps=2,
                   max_steps=40, eval_steps=10, logging_steps=5, save_steps=20, early_stopping_patience=2,
                   metric_for_best_model="accuracy", class_weights="on", device="cpu", precision="fp32", lora=True,
                   lora_rank=4, dropout="0.1", freeze_embeddings=False, max_grad_norm=2.5, recipe="setfit",
                   fewshot_pairs=12, tracking="tensorboard", pretrain="training text", pretrain_epochs=2,
                   pretrain_learning_rate=1e-4, mlm_probability=0.2, calibrate=False,
                   time_budget=30, allow_unreadable=True, gpus=2)
FLIPPED = ("freeze_embeddings", "calibrate")  # their boxes say the opposite ("also train", "keep the raw")


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
    assert "processes" not in text
    resolved.update(world_size=2)
    (tmp_path / "config.json").write_text(json.dumps({"resolved": resolved}), encoding="utf-8")
    assert "Device **cpu**, 2 processes (data parallel), precision" in status_markdown(str(tmp_path), {"state": "x"})


def test_the_form_has_one_control_per_declared_setting() -> None:
    with gr.Blocks():
        controls = build_form()
    declared = {item.name for cls in (TrainSettings, DataSettings) for item, spec in specs(cls)
                if spec.group != "data"}
    assert set(controls) == declared
    assert set(NON_DEFAULT) == declared  # the round trip below covers every setting


def test_form_to_command_to_cli_gives_the_same_config() -> None:
    """Non-default form values -> equivalent command -> CLI parser -> the config the form built."""
    with gr.Blocks():
        controls = build_form()
    values = {controls[name]: (not value if name in FLIPPED else value)  # the box says "also train"
              for name, value in NON_DEFAULT.items()}
    data_values, train = form_settings(form_values(controls, values))
    config = RunConfig(model="some/model", data=DataSettings(train_file="/data/my file.csv", text_column="body",
                                                             label_column="tag", **data_values), train=train)
    config.validate()
    assert config.train != TrainSettings() and train.dropout == 0.1 and not train.freeze_embeddings
    command = train_command(config)
    args = build_parser().parse_args(shlex.split(command)[3:])
    again = config_from_args(args)
    assert again.data == config.data and again.train == config.train and again.model == config.model
    assert "--warmup-ratio 0.1" in command and "--metric accuracy" in command and "--eval-steps 10" in command


def test_empty_form_numbers_take_defaults_and_zero_counts_mean_off() -> None:
    with gr.Blocks():
        controls = build_form()
    values = {controls[name]: None for name in controls}
    values[controls["max_steps"]] = 0
    values[controls["freeze_embeddings"]] = False
    _, train = form_settings(form_values(controls, values))
    assert train == TrainSettings()


def test_zero_gradient_clip_is_refused_not_replaced() -> None:
    with gr.Blocks():
        controls = build_form()
    values = {controls[name]: None for name in controls}
    values[controls["freeze_embeddings"]] = False
    values[controls["max_grad_norm"]] = 0
    _, train = form_settings(form_values(controls, values))
    with pytest.raises(ConfigError, match="max_grad_norm must be above 0"):
        train.validate()


def test_plan_names_base_model_and_data() -> None:
    text = plan_markdown("run 2026-x", "reviews.csv", {"text_column": "review", "label_column": "stars"})
    assert "run 2026-x" in text and "reviews.csv" in text and "`review`" in text and "`stars`" in text
    assert "choose data" in plan_markdown("MiniLM", "", None)


def test_the_plan_recommends_the_few_shot_recipe_only_for_few_rows_per_class(tmp_path: Path) -> None:
    from tests.ui.conftest import SAMPLE
    from ui.api.data import fewshot_hint

    small = tmp_path / "small.csv"
    rows = [f"review number {i} about {topic},{topic}" for topic in ("food", "film", "game") for i in range(10)]
    small.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert "setfit" in fewshot_hint(str(small), Columns())
    assert fewshot_hint(str(SAMPLE), Columns()) == ""  # 60 rows per class: fine-tune
    assert fewshot_hint(str(tmp_path / "gone.csv"), Columns()) == ""
