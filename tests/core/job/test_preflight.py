"""Settings that would fail are refused before a run folder or a training process exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError, ModelError
from tests.tiny import make_tiny_model


def pickle_only(folder: Path, source: Path) -> Path:
    """A copy of model ``source`` whose only weights are a pickle ``pytorch_model.bin``.

    transformers 5 writes safetensors even with ``save_pretrained(safe_serialization=False)``, so the
    pickle file is written with ``torch.save`` of the same weights, the way older tools saved models.
    """
    import shutil

    import torch
    from safetensors.torch import load_file

    shutil.copytree(source, folder)
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


@pytest.fixture
def no_spawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail the test if anything starts a training process or trains in-process."""
    import subprocess

    import core.job

    started: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError("a training process was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(core.job, "run_training", refuse)
    return started


def _case(tmp_path: Path, tiny_models: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], str]:
    """The extra ``train`` flags of a refused case and a fragment of its error line."""
    import torch

    import core.devices

    if name == "negative seed":
        return ["--seed", "-1"], "seed"
    if name in ("cuda", "mps"):
        available = torch.cuda.is_available() if name == "cuda" else torch.backends.mps.is_available()
        if available:
            pytest.skip(f"this machine has {name}")
        return ["--device", name], f"device '{name}' was requested"
    if name == "bf16 without cpu support":
        monkeypatch.setattr(core.devices, "cpu_supports_bf16", lambda: False)
        return ["--device", "cpu", "--precision", "bf16"], "this CPU has no native bf16"
    if name == "fp16 on cpu":
        return ["--device", "cpu", "--precision", "fp16"], "fp16 was requested but training on the CPU"
    if name == "missing folder":
        return ["--model", str(tmp_path / "no" / "such" / "model")], "does not exist"
    if name == "run without a model":
        unfinished = tmp_path / "unfinished"
        unfinished.mkdir()
        (unfinished / "config.json").write_text("{}")
        (unfinished / "events.jsonl").write_text("")
        return ["--model", str(unfinished)], "has no saved model yet"
    if name == "hub id not cached":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        return ["--model", "someone/not-a-cached-model"], "not in the local Hugging Face cache"
    if name == "config without weights":
        bare = tmp_path / "bare"
        bare.mkdir()
        (bare / "config.json").write_bytes((tiny_models("bert") / "config.json").read_bytes())
        return ["--model", str(bare)], "has no model weights"
    if name == "pickle weights":
        folder = pickle_only(tmp_path / "pickled", tiny_models("bert"))
        return ["--model", str(folder)], "has only pickle weights (pytorch_model.bin)"
    if name == "unknown validation labels":
        val = tmp_path / "val.csv"
        val.write_text("review,sentiment\ngreat,positive\nbad,negative\nmeh,neutral\n", encoding="utf-8")
        return ["--val-data", str(val)], "val.csv has labels the training data lacks (neutral)"
    assert name == "max_length above positions"
    return ["--max-length", "512"], "max_length 512 is more than"


CASES = ["negative seed", "cuda", "mps", "bf16 without cpu support", "fp16 on cpu", "missing folder",
         "run without a model", "hub id not cached", "config without weights", "pickle weights",
         "unknown validation labels", "max_length above positions"]


@pytest.mark.parametrize("name", CASES)
def test_cli_train_refuses_before_anything_exists(name: str, tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                  monkeypatch: pytest.MonkeyPatch, no_spawn: list[Any],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "0")
    flags, fragment = _case(tmp_path, tiny_models, name, monkeypatch)
    output = tmp_path / "out" / "run"
    model = [] if "--model" in flags else ["--model", str(tiny_models("bert"))]
    code = main(["train", str(sentiment_csv), "--output", str(output), "--max-steps", "2", *model, *flags])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err
    assert not output.exists() and not output.parent.exists()
    assert no_spawn == []


def test_create_run_raises_typed_errors(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "0")

    def config(model: Path | str, **train: Any) -> RunConfig:
        return RunConfig(data=DataSettings(train_file=str(sentiment_csv)), model=str(model),
                         train=TrainSettings(**train))

    with pytest.raises(ConfigError, match="max_length 256 is more than .* can read \\(130 tokens\\): choose a "
                                          "max_length of 130 or less"):
        job.create_run(config(tiny_models("bert"), max_length=256), run_dir=tmp_path / "a")
    with pytest.raises(ModelError, match="fp16"):
        job.create_run(config(tiny_models("bert"), device="cpu", precision="fp16"), run_dir=tmp_path / "b")
    with pytest.raises(ModelError, match="TUNESCOPE_ALLOW_PICKLE=1 / pass --allow-pickle"):
        job.create_run(config(pickle_only(tmp_path / "p", tiny_models("bert"))), run_dir=tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "reviews.csv"]


def test_roberta_positions_leave_out_the_padding_offset(tiny_models: Any) -> None:
    from core.job.preflight import max_input_length
    from core.modelref import source_of
    from core.models import load_model_config, load_tokenizer

    source = source_of(str(tiny_models("roberta")))
    assert max_input_length(load_model_config(source), load_tokenizer(source)) == 128  # 130 positions, pad id 1
    bert = source_of(str(tiny_models("bert")))
    assert max_input_length(load_model_config(bert), load_tokenizer(bert)) == 130  # tokenizer says 512


def test_good_settings_create_the_run(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "1")
    val = tmp_path / "val.csv"
    val.write_text("review,sentiment\ngreat,positive\nbad,negative\n", encoding="utf-8")
    pickled = pickle_only(tmp_path / "pickled", make_tiny_model(tmp_path / "base", "bert"))
    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv), val_file=str(val)), model=str(pickled),
                       train=TrainSettings(max_length=130, device="cpu", precision="fp32"))
    run_dir = job.create_run(config, run_dir=tmp_path / "ok")
    assert runs.read_status(run_dir)["state"] == "created"
    assert runs.load_config(run_dir).labels == ["negative", "positive"]
