"""Pickle-only weights (pytorch_model.bin) are refused unless the admin opts in; remote code is never trusted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.errors import ModelError
from core.inference import load_for_inference, loading, predict_texts
from tests.core.job.test_preflight import pickle_only
from tests.tiny import make_tiny_model

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A labelled tiny classifier in safetensors and the same weights as pickle only."""
    folder = tmp_path_factory.mktemp("pickle")
    safe = make_tiny_model(folder / "safe", "bert", labels=["negative", "positive"])
    return safe, pickle_only(folder / "pickled", safe)


@pytest.fixture(autouse=True)
def pickle_not_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without the opt-in; whatever ``--allow-pickle`` sets is undone afterwards."""
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "0")
    loading._CACHE.clear()


def test_loading_pickle_weights_is_refused_with_one_sentence(models: tuple[Path, Path]) -> None:
    _, pickled = models
    with pytest.raises(ModelError) as info:
        load_for_inference(str(pickled))
    message = str(info.value)
    assert message.startswith(f"{pickled} has only pickle weights (pytorch_model.bin), which can run code when loaded")
    assert "convert it to safetensors" in message and "TUNESCOPE_ALLOW_PICKLE=1 / pass --allow-pickle" in message
    assert "weights_only" not in message and "\n" not in message


def test_the_opt_in_loads_the_same_model(models: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    safe, pickled = models
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "1")
    texts = ["a wonderful film", "dull and boring"]
    from_pickle = predict_texts(load_for_inference(str(pickled)), texts)
    from_safe = predict_texts(load_for_inference(str(safe)), texts)
    for a, b in zip(from_pickle, from_safe, strict=True):
        assert a["label"] == b["label"]
        assert np.allclose(list(a["scores"].values()), list(b["scores"].values()), atol=1e-6)


def test_pickle_with_more_than_tensors_is_refused_even_with_the_opt_in(
        models: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse
    import shutil

    import torch

    _, pickled = models
    folder = tmp_path / "objects"
    shutil.copytree(pickled, folder)
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    torch.save({**state, "extra": argparse.Namespace(payload=1)}, folder / "pytorch_model.bin")
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "1")
    with pytest.raises(ModelError, match="hold more than plain tensors"):
        load_for_inference(str(folder))


@pytest.mark.parametrize("command", [["predict", "a fine film"], ["evaluate", "DATA"], ["attention", "a fine film"],
                                     ["describe"]])
def test_cli_refuses_pickle_unless_allow_pickle(command: list[str], models: tuple[Path, Path], sentiment_csv: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _, pickled = models
    command = [str(sentiment_csv) if part == "DATA" else part for part in command] + ["--model", str(pickled)]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {pickled} has only pickle weights")
    assert main([*command, "--allow-pickle"]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)


def test_cli_train_with_allow_pickle_fine_tunes_a_pickle_model(models: tuple[Path, Path], sentiment_csv: Path,
                                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, pickled = models
    run_dir = tmp_path / "run"
    command = ["train", str(sentiment_csv), "--model", str(pickled), "--output", str(run_dir), "--max-steps", "2",
               "--batch-size", "8", "--device", "cpu"]
    assert main(command) == 2 and "only pickle weights" in capsys.readouterr().err and not run_dir.exists()
    assert main([*command, "--allow-pickle"]) == 0, capsys.readouterr().err
    assert (run_dir / "model" / "model.safetensors").exists()  # what TuneScope saves is always safetensors


def test_no_source_trusts_remote_code() -> None:
    sources = [*(ROOT / "core").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), ROOT / "app.py"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"trust_remote_code\s*=\s*True", text), path
