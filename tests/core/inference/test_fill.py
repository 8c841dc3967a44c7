"""Fill-mask and next-token predictions: encoders, decoders, a run's pre-trained model, errors, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.cli import main as cli_main
from core.errors import ConfigError
from core.inference.fill import fill, language_model


def masked_lm_folder(folder: Path, base: Path) -> Path:
    """A masked-LM model saved with its head (as a pre-training stage leaves it)."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    model = AutoModelForMaskedLM.from_pretrained(base)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    return folder


def test_fill_mask_ranks_tokens_by_probability(tiny_models: Any) -> None:
    result = fill(str(tiny_models("bert")), "the film was [MASK] and [MASK] .", top=4)
    assert result["mode"] == "fill-mask" and len(result["positions"]) == 2
    assert all(result["tokens"][p] == "[MASK]" for p in result["positions"])
    for guesses in result["predictions"]:
        probabilities = [g["probability"] for g in guesses]
        assert len(guesses) == 4 and probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1 + 1e-6
    assert any("newly initialised" in w or "initialised" in w for w in result["warnings"])  # AutoModel has no head


def test_a_runs_pretrained_model_is_used_with_its_head(tmp_path: Path, tiny_models: Any) -> None:
    run_dir = tmp_path / "run"
    masked_lm_folder(run_dir / "pretrain" / "model", tiny_models("bert"))
    result = fill(str(run_dir), "a [MASK] film", top=3)
    assert result["mode"] == "fill-mask"
    assert result["warnings"] == ["Using run run's pre-trained model (with its trained LM head)."]
    direct = fill(str(run_dir / "pretrain" / "model"), "a [MASK] film", top=3)
    assert direct["predictions"] == result["predictions"]


def test_decoder_predicts_the_next_token(tiny_models: Any) -> None:
    result = fill(str(tiny_models("gpt2")), "the movie was", top=5)
    assert result["mode"] == "next-token" and result["positions"] == [len(result["tokens"]) - 1]
    guesses = result["predictions"][0]
    assert len(guesses) == 5 and all(g["sequence"].startswith("the movie was") for g in guesses)
    assert result["warnings"] == []  # GPT-2's output layer is its token embeddings: nothing new


def test_cached_model_is_shared_and_never_trained(tiny_models: Any) -> None:
    first, second = language_model(str(tiny_models("gpt2"))), language_model(str(tiny_models("gpt2")))
    assert first is second and not any(p.requires_grad for p in first.model.parameters())


@pytest.mark.parametrize(("family", "text", "top", "message"), [
    ("bert", "no mask at all", 5, r"Put \[MASK\]"),
    ("bert", "[MASK] " * 6, 5, "at most 5"),
    ("bert", "a [MASK]", 0, "top must be"),
    ("bert", "   ", 5, "Type a text"),
    ("gpt2", "the [MASK] film", 5, "decoder"),
])
def test_bad_requests_are_config_errors(tiny_models: Any, family: str, text: str, top: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        fill(str(tiny_models(family)), text, top)


def test_cli_fill_prints_json_and_one_error_line(tiny_models: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["fill", str(tiny_models("gpt2")), "the movie", "--top", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "next-token" and len(result["predictions"][0]) == 2
    assert cli_main(["fill", str(tiny_models("bert")), "no mask"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Put [MASK]")
