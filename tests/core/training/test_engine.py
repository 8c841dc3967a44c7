"""Checkpoints without frozen weights (core.training.engine): smaller files, resume still exact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from safetensors import safe_open
from safetensors.torch import load_file

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.job import run_training
from core.training.engine import FROZEN_FILE, checkpoint_state, frozen_weight_names


def make_run(tmp_path: Path, data: Path, model: Path, name: str, **train: Any) -> Path:
    settings = {"max_steps": 8, "batch_size": 4, "logging_steps": 1, "eval_steps": 3, "seed": 3, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / name)


def keys(path: Path) -> set[str]:
    with safe_open(str(path), framework="pt") as handle:
        return set(handle.keys())


def embedding_key(names: set[str]) -> str:
    return next(k for k in names if k.endswith("word_embeddings.weight"))


def test_checkpoints_leave_out_frozen_weights_and_resume_is_exact(tmp_path: Path, tiny_models: Any,
                                                                  sentiment_csv: Path) -> None:
    model = tiny_models("bert")
    whole = make_run(tmp_path, sentiment_csv, model, "whole")
    run_training(whole)
    saved = keys(whole / "model" / "model.safetensors")
    frozen = embedding_key(saved)
    checkpoint = whole / "checkpoints" / "checkpoint-8" / "model.safetensors"
    assert frozen not in keys(checkpoint) and keys(checkpoint) == saved - {frozen}
    assert runs.checkpoint_problem(checkpoint.parent) is None
    assert json.loads((checkpoint.parent / FROZEN_FILE).read_text())["left_out"] == [frozen]
    assert not (whole / "model" / FROZEN_FILE).exists()
    timed = [e for e in runs.read_events(whole) if e["event"] in ("eval", "checkpoint")]
    assert len(timed) == 6 and all(e["seconds"] > 0 for e in timed)  # each evaluation and save says what it cost

    resumed = make_run(tmp_path, sentiment_csv, model, "resumed")
    run_training(resumed)
    for name in ("checkpoint-6", "checkpoint-8"):  # as if the process died after step 5
        shutil.rmtree(resumed / "checkpoints" / name, ignore_errors=True)
    shutil.rmtree(resumed / "model")
    assert run_training(resumed, resume=True)["resumed_from_step"] == 3
    first, second = load_file(whole / "model" / "model.safetensors"), load_file(resumed / "model" / "model.safetensors")
    assert first.keys() == second.keys()
    assert all(first[k].equal(second[k]) for k in first), "resuming from a slim checkpoint changed the model"


def test_nothing_is_left_out_when_everything_trains(tiny_models: Any) -> None:
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_models("bert")), num_labels=2)
    assert frozen_weight_names(model) == set() and checkpoint_state(model) is None
    model.get_input_embeddings().weight.requires_grad_(False)
    state = checkpoint_state(model)
    assert state is not None and frozen_weight_names(model) == {embedding_key(set(model.state_dict()))}
    assert set(state) == set(model.state_dict()) - frozen_weight_names(model)


def test_the_final_report_reuses_the_best_checkpoints_evaluation(tmp_path: Path, tiny_models: Any,
                                                                 sentiment_csv: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from core.training.trainer import WeightedTrainer

    kept = WeightedTrainer.final_predictions
    seen: list[tuple[Any, Any, int]] = []

    def compare(self: Any, dataset: Any) -> Any:
        output = kept(self, dataset)
        seen.append((output, self.predict(dataset), len(self._evaluations or {})))
        return output

    monkeypatch.setattr(WeightedTrainer, "final_predictions", compare)
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), "reuse")
    run_training(run_dir)
    (reused, fresh, evaluations), = seen
    assert evaluations == 3  # steps 3, 6 and 8: the report came from one of them, not a fourth pass
    assert np.array_equal(reused.predictions, fresh.predictions) and np.array_equal(reused.label_ids, fresh.label_ids)
    assert reused.metrics["test_loss"] == pytest.approx(fresh.metrics["test_loss"], abs=1e-6)
    report = runs.read_json(run_dir / "metrics.json", {})
    assert report["accuracy"] == pytest.approx(float((fresh.predictions.argmax(-1) == fresh.label_ids).mean()))


def test_a_slim_checkpoint_is_refused_as_a_model_folder(tmp_path: Path) -> None:
    from core.errors import ModelError
    from core.modelref import source_of
    from core.training.engine import FROZEN_FILE

    folder = tmp_path / "checkpoint-6"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    (folder / FROZEN_FILE).write_text('{"left_out": ["bert.embeddings.word_embeddings.weight"]}', encoding="utf-8")
    with pytest.raises(ModelError, match="checkpoint"):
        source_of(str(folder))
