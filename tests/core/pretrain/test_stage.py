"""The pre-training stage in a run folder: events with perplexity, pretrain/model/ with its LM head,
fine-tuning from the adapted weights, stop and resume, and a fine-tuning failure that does not redo it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.job import run_training
from core.plots.training import current_attempt, loss_figure, perplexity_figure
from core.pretrain import stage as stage_module
from core.pretrain.paths import adapted_model, stage_paths
from core.training import finetune as finetune_module


def make_run(tmp_path: Path, data: Path, model: Path, **train: Any) -> Path:
    settings = {"max_steps": 4, "batch_size": 4, "eval_steps": 2, "logging_steps": 1, "max_length": 16,
                "pretrain": "training text", "pretrain_epochs": 2.0, "pretrain_learning_rate": 1e-3, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / "run")


def stage_events(run_dir: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in runs.read_events(run_dir) if e.get("stage") == "pretrain" and e["event"] == kind]


def test_masked_lm_stage_then_fine_tuning_from_it(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    loaded_from: list[str] = []
    original = finetune_module.build_trainer

    def spy(config: RunConfig, *args: Any, **kwargs: Any) -> Any:
        loaded_from.append(str(config.model))
        return original(config, *args, **kwargs)

    monkeypatch.setattr(finetune_module, "build_trainer", spy)
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    summary = run_training(run_dir)
    assert summary["state"] == "finished"
    adapted = adapted_model(run_dir)
    assert adapted is not None and loaded_from == [str(adapted)]
    assert str(runs.load_config(run_dir).model) == str(tiny_models("bert"))  # the run still names its base model
    evals = stage_events(run_dir, "eval")
    assert evals and all(math.isclose(e["perplexity"], math.exp(e["loss"]), rel_tol=1e-9) for e in evals)
    assert stage_events(run_dir, "started")[0]["objective"] == "masked_lm"
    info = runs.load_config(run_dir).resolved["pretrain"]
    assert info["held_out"] >= 1 and info["texts"] + info["held_out"] == 32  # the training split's 32 texts
    assert info["new_head"] is True and "bert.pooler.dense.weight" in info["kept_base_weights"]
    from transformers import AutoModelForMaskedLM

    _, loading = AutoModelForMaskedLM.from_pretrained(adapted, output_loading_info=True)
    assert not loading["missing_keys"]  # the trained MLM head is saved with it
    fine = current_attempt(runs.read_events(run_dir))
    assert all("stage" not in e for e in fine) and fine[0]["event"] == "started"
    assert len(loss_figure(runs.read_events(run_dir), stage="pretrain").data[0].x) == len(stage_events(run_dir, "step"))
    assert list(perplexity_figure(runs.read_events(run_dir)).data[0].y) == [e["perplexity"] for e in evals]


def test_stop_during_pretraining_resumes_it_from_its_checkpoint(tmp_path: Path, tiny_models: Any,
                                                                sentiment_csv: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), batch_size=2, pretrain_epochs=4.0)
    steps = {"seen": 0}
    real = stage_module.stop_requested

    def stop_after_three(folder: Path) -> bool:
        steps["seen"] += 1
        if steps["seen"] == 3:
            runs.RunPaths(folder).stop_flag.write_text("")
        return real(folder)

    monkeypatch.setattr(stage_module, "stop_requested", stop_after_three)
    with pytest.raises(Exception, match="Stopped during pre-training"):
        run_training(run_dir)
    assert runs.read_status(run_dir)["state"] == "stopped"
    assert adapted_model(run_dir) is None and runs.find_resume_point(stage_paths(run_dir).root).checkpoint
    monkeypatch.setattr(stage_module, "stop_requested", real)
    runs.RunPaths(run_dir).stop_flag.unlink()
    summary = run_training(run_dir, resume=True)
    assert summary["state"] == "finished"
    started = stage_events(run_dir, "started")
    assert [e["resumed_from_step"] for e in started] == [0, 3]


def test_failed_fine_tuning_does_not_redo_pretraining(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    original = finetune_module.build_trainer

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("killed while fine-tuning")

    monkeypatch.setattr(finetune_module, "build_trainer", broken)
    with pytest.raises(RuntimeError):
        run_training(run_dir)
    assert adapted_model(run_dir) is not None and runs.read_status(run_dir)["state"] == "failed"
    monkeypatch.setattr(finetune_module, "build_trainer", original)
    assert run_training(run_dir, resume=True)["state"] == "finished"
    assert len(stage_events(run_dir, "started")) == 1 and len(stage_events(run_dir, "stage_done")) == 1


def test_file_mode_needs_a_file() -> None:
    with pytest.raises(ConfigError, match="pre-training file"):
        TrainSettings(pretrain="file").validate()
