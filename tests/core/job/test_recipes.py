"""The recipe seam: the registry matches the ``recipe`` setting, preflight asks the chosen recipe to check, and the
job runs whatever a recipe returns into a normal run folder (lock, status, outputs, card, final event)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.job import RECIPES, Recipe, recipe_for
from core.modelref import ModelRef
from core.settings import specs
from core.training.metrics import full_report
from core.training.outcome import Trained

ROOT = Path(__file__).resolve().parents[3]


def config_for(data: Path, model: Path, **train: Any) -> RunConfig:
    return RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                     train=TrainSettings(max_steps=2, batch_size=4, **train))


def test_the_registry_holds_every_recipe_the_setting_offers() -> None:
    offered = next(spec.choices for item, spec in specs(TrainSettings) if item.name == "recipe")
    assert set(RECIPES) == set(offered) == {"finetune", "setfit"}
    for name, recipe in RECIPES.items():
        assert isinstance(recipe, Recipe) and recipe.name == name and recipe.how
    assert recipe_for(RunConfig(data=DataSettings(train_file="d.csv"))) is RECIPES["finetune"]
    odd = RunConfig(data=DataSettings(train_file="d.csv"))
    odd.train.recipe = "distil"
    with pytest.raises(ConfigError, match="recipe 'distil' is not a TuneScope recipe: choose one of finetune, setfit"):
        recipe_for(odd)


def test_recipe_names_are_compared_only_in_the_registry() -> None:
    for path in sorted((ROOT / "core").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in ('recipe == "', 'recipe != "', "recipe == '", "recipe != '"):
            assert pattern not in text, f"{path.relative_to(ROOT)} compares a recipe name: ask core.job.recipes"
        assert "callback_handler.callbacks" not in text, f"{path.relative_to(ROOT)} looks a callback up by class"


class Refusing:
    """A recipe that refuses every configuration."""

    name, how = "finetune", "refused"

    def check(self, config: RunConfig) -> None:
        raise ConfigError("this recipe refuses: choose another one.")

    def train(self, config: RunConfig, run_dir: Path, *, start: str, checkpoint: Path | None, main: bool) -> Trained:
        raise AssertionError("never trains")


def test_preflight_asks_the_chosen_recipe_before_a_folder_exists(tmp_path: Path, tiny_models: Any,
                                                                 sentiment_csv: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RECIPES, "finetune", Refusing())
    with pytest.raises(ConfigError, match="this recipe refuses"):
        job.create_run(config_for(sentiment_csv, tiny_models("bert")), run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


class Handmade:
    """A recipe that 'trains' by loading the base model as it is and scoring two rows, recording its calls."""

    name, how = "finetune", "assembled by hand"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def check(self, config: RunConfig) -> None:
        return None

    def train(self, config: RunConfig, run_dir: Path, *, start: ModelRef, checkpoint: Path | None,
              main: bool) -> Trained:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.calls.append({"start": str(start), "checkpoint": checkpoint, "main": main})
        start = start.resolve().location
        model = AutoModelForSequenceClassification.from_pretrained(start, num_labels=len(config.labels))
        report = {**full_report(np.array([0, 1]), np.array([0, 1]), config.labels), "eval_loss": 0.25}
        return Trained(model=model, tokenizer=AutoTokenizer.from_pretrained(start), report=report, global_step=2,
                       total_steps=2, train_metrics={"train_runtime": 1.5, "train_samples_per_second": 8.0})


def test_the_job_writes_any_recipes_result_as_a_normal_run(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = Handmade()
    monkeypatch.setitem(RECIPES, "finetune", recipe)
    run_dir = job.create_run(config_for(sentiment_csv, tiny_models("bert")), run_dir=tmp_path / "run")
    summary = job.run_training(run_dir)
    assert recipe.calls == [{"start": str(tiny_models("bert")), "checkpoint": None, "main": True}]
    assert summary["state"] == "finished" and summary["global_step"] == summary["total_steps"] == 2
    assert summary["train_runtime"] == 1.5 and summary["metrics"]["accuracy"] == 1.0
    assert runs.read_status(run_dir)["state"] == "finished"
    assert runs.read_events(run_dir)[-1]["event"] == "finished"
    assert json.loads((run_dir / "metrics.json").read_text())["eval_loss"] == 0.25
    assert (run_dir / "model" / "config.json").exists()
    assert "Text classifier assembled by hand with TuneScope" in (run_dir / "README.md").read_text()


def test_importing_the_job_layer_loads_no_torch() -> None:
    """The app, the sweep and the CLI import ``core.job`` to create runs: the recipes' training loads only to train."""
    script = "import sys, core.job\nprint(sorted({'torch', 'transformers', 'setfit'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
