"""Head masking (hooks on every family), head importance and base-vs-fine-tuned comparison."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from core.attention.extract import encode
from core.attention.heads import base_model_of, compare_models, compare_run, head_importance, masked_heads
from core.inference import load_for_inference
from tests.tiny import FAMILIES, make_tiny_model

TEXT, PAIR = "a dull film with no story", "terrible acting"


def _logits(model, encoded) -> torch.Tensor:
    with torch.no_grad():
        return model(**encoded).logits


@pytest.mark.parametrize("family", FAMILIES)
def test_masking_none_is_identity_and_one_head_changes_logits(tiny_models, family: str) -> None:
    loaded = load_for_inference(str(tiny_models(family)))
    encoded, _, _ = encode(loaded.tokenizer, TEXT, PAIR)
    plain = _logits(loaded.model, encoded)
    with masked_heads(loaded.model, np.ones((2, 4))):
        unmasked = _logits(loaded.model, encoded)
    mask = np.ones((2, 4))
    mask[1, 2] = 0.0
    with masked_heads(loaded.model, mask):
        masked = _logits(loaded.model, encoded)
    torch.testing.assert_close(unmasked, plain, rtol=0, atol=0)
    assert not torch.allclose(masked, plain, rtol=0, atol=1e-7)
    torch.testing.assert_close(_logits(loaded.model, encoded), plain, rtol=0, atol=0)  # hooks removed


def test_hook_equals_zeroing_the_heads_value_projection(tiny_models) -> None:
    """Masking head h of layer l == zeroing its value rows: the head's context is then zero."""
    loaded = load_for_inference(str(tiny_models("bert")))
    encoded, _, _ = encode(loaded.tokenizer, TEXT)
    mask = np.ones((2, 4))
    mask[0, 3] = 0.0
    with masked_heads(loaded.model, mask):
        hooked = _logits(loaded.model, encoded)
    value = loaded.model.bert.encoder.layer[0].attention.self.value
    saved = value.weight.detach().clone(), value.bias.detach().clone()
    try:
        with torch.no_grad():
            value.weight[24:32] = 0.0
            value.bias[24:32] = 0.0
        zeroed = _logits(loaded.model, encoded)
    finally:
        with torch.no_grad():
            value.weight.copy_(saved[0])
            value.bias.copy_(saved[1])
    torch.testing.assert_close(hooked, zeroed, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("family", ["bert", "gpt2"])
def test_head_importance_matches_single_masked_runs(tiny_models, family: str) -> None:
    loaded = load_for_inference(str(tiny_models(family)))
    report = head_importance(loaded.model, loaded.tokenizer, TEXT)
    drop = np.asarray(report["drop"])
    assert drop.shape == (2, 4) and np.any(drop != 0)
    encoded, _, _ = encode(loaded.tokenizer, TEXT)
    mask = np.ones((2, 4))
    mask[1, 1] = 0.0
    with masked_heads(loaded.model, mask):
        probability = torch.softmax(_logits(loaded.model, encoded), -1)[0, report["target"]].item()
    assert drop[1, 1] == pytest.approx(report["probability"] - probability, abs=1e-6)
    scores = [row["abs_drop"] for row in report["ranked"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 8


def _fake_run(tmp_path: Path, base: Path, tuned: Path) -> Path:
    run = tmp_path / "run-1"
    shutil.copytree(tuned, run / "model")
    (run / "config.json").write_text(json.dumps({"model": str(base), "data": {"train_file": "x.csv"}}))
    (run / "events.jsonl").write_text("")
    return run


def test_compare_run_against_its_base(tmp_path: Path, tiny_models) -> None:
    base = tiny_models("bert")
    tuned = make_tiny_model(tmp_path / "other", "bert", seed=1)
    run = _fake_run(tmp_path, base, tuned)
    assert base_model_of(str(run)) == str(base)
    comparison = compare_run(str(run), TEXT, PAIR, metric="js")
    assert comparison.divergence.shape == (2, 4) and np.all(comparison.divergence > 0)
    ranked = comparison.ranked(3)
    assert len(ranked) == 3 and ranked[0]["js"] >= ranked[-1]["js"]
    same = load_for_inference(str(base))
    assert np.allclose(compare_models(same, same, TEXT, metric="l1").divergence, 0.0)


def test_long_work_stops_when_asked_and_leaves_the_model_alone(tmp_path: Path) -> None:
    from core.attention.attributions import integrated_gradients
    from core.errors import Cancelled

    folder = make_tiny_model(tmp_path / "clf", "bert", labels=["neg", "pos"], seed=1)
    loaded = load_for_inference(str(folder))
    calls = []

    def stop_on_second_call() -> None:
        calls.append(1)
        if len(calls) > 1:
            raise Cancelled("stopped")

    def stop_now() -> None:
        raise Cancelled("stopped")

    text = " ".join(["the movie was wonderful"] * 20)
    with pytest.raises(Cancelled):
        head_importance(loaded.model, loaded.tokenizer, text, should_stop=stop_now)
    with pytest.raises(Cancelled):
        integrated_gradients(loaded.model, loaded.tokenizer, text, internal_batch_size=4,
                             should_stop=stop_on_second_call)
    assert len(calls) == 2  # stopped at the second batch of steps, not after all of them
    projections = [m for m in loaded.model.modules() if m._forward_pre_hooks or m._forward_hooks]
    assert projections == []  # no hook left behind on the shared model
