"""Optional metrics tracking: TensorBoard event files outside the run folder, which stays as without tracking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.job import run_training


def tracked_run(tmp_path: Path, data: Path, model: Path, name: str, tracking: str) -> Path:
    settings = {"max_steps": 4, "batch_size": 4, "logging_steps": 1, "eval_steps": 2, "tracking": tracking}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / "runs" / name)


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_tensorboard_writes_events_outside_the_run_folder(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tensorboard")
    monkeypatch.delenv("TUNESCOPE_TRACKING_DIR", raising=False)
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "unused"))  # restored after the test
    plain = tracked_run(tmp_path, sentiment_csv, tiny_models("bert"), "plain", "none")
    tracked = tracked_run(tmp_path, sentiment_csv, tiny_models("bert"), "tracked", "tensorboard")
    assert run_training(plain)["state"] == run_training(tracked)["state"] == "finished"
    assert listing(plain) == listing(tracked)
    logs = tmp_path / "tracking" / "tracked"
    event_files = list(logs.glob("events.out.tfevents.*"))
    assert event_files and event_files[0].stat().st_size > 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars = EventAccumulator(str(logs)).Reload().Tags()["scalars"]
    assert "train/loss" in scalars and any(tag.startswith("eval/") for tag in scalars)
    assert runs.load_config(tracked).resolved["tracking"]["where"] == str(logs)
    assert not (tmp_path / "tracking" / "plain").exists() and not (tmp_path / "unused").exists()


def test_tracking_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.training.arguments import tracking_dir

    monkeypatch.setenv("TUNESCOPE_TRACKING_DIR", str(tmp_path / "tb"))
    assert tracking_dir(tmp_path / "runs" / "r1") == tmp_path / "tb" / "r1"
    monkeypatch.delenv("TUNESCOPE_TRACKING_DIR")
    assert tracking_dir(tmp_path / "runs" / "r1") == tmp_path / "tracking" / "r1"


def test_missing_tracker_is_refused_with_the_pip_command(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    with pytest.raises(ConfigError, match="pip install mlflow"):
        tracked_run(tmp_path, sentiment_csv, tiny_models("bert"), "refused", "mlflow")
    assert not (tmp_path / "runs" / "refused").exists()


def test_setfit_recipe_reports_its_loss_too(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tensorboard")
    pytest.importorskip("setfit")
    monkeypatch.setenv("TUNESCOPE_TRACKING_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "unused"))
    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv), val_fraction=0.2), model=str(tiny_models("bert")),
                       train=TrainSettings(recipe="setfit", fewshot_pairs=2, batch_size=8, max_length=32,
                                           logging_steps=1, tracking="tensorboard"))
    run_dir = job.create_run(config, run_dir=tmp_path / "runs" / "fewshot")
    assert run_training(run_dir)["state"] == "finished"
    assert list((tmp_path / "elsewhere" / "fewshot").glob("events.out.tfevents.*"))
    assert not (run_dir / "checkpoints").exists() or not any((run_dir / "checkpoints").iterdir())
