"""Integrated gradients: completeness on a tiny model, targets by name, highlighted HTML without scripts."""

from __future__ import annotations

import pytest
import torch

from core.attention.attributions import CAVEAT, attribution_html, integrated_gradients, resolve_target
from core.errors import DataError
from core.inference import load_for_inference

TEXT = "the movie was wonderful"


@pytest.fixture
def sharp_bert(tiny_models):
    """The tiny BERT with larger weights, so outputs move enough for a meaningful completeness check."""
    loaded = load_for_inference(str(tiny_models("bert")))
    model = loaded.model
    saved = {name: p.detach().clone() for name, p in model.named_parameters()}
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("weight") and parameter.dim() == 2:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    yield loaded
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(saved[name])


@pytest.mark.parametrize("output", ["probability", "logit"])
def test_integrated_gradients_completeness(sharp_bert, output: str) -> None:
    model, tokenizer = sharp_bert.model, sharp_bert.tokenizer
    result = integrated_gradients(model, tokenizer, TEXT, target=1, output=output, n_steps=64)
    encoded = tokenizer(TEXT, return_tensors="pt", return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask").bool()
    baseline = torch.where(special, encoded["input_ids"], torch.full_like(encoded["input_ids"], tokenizer.pad_token_id))
    with torch.no_grad():
        def f(ids: torch.Tensor) -> float:
            logits = model(**{**encoded, "input_ids": ids}).logits[0]
            return float((torch.softmax(logits, -1) if output == "probability" else logits)[1])

        change = f(encoded["input_ids"]) - f(baseline)
    assert abs(change) > 1e-3  # the check below is not vacuous
    assert sum(result.scores) == pytest.approx(change, rel=0.02, abs=1e-4)
    assert result.tokens[0] == "[CLS]" and len(result.scores) == len(result.tokens)
    assert result.label == model.config.id2label[1] and result.target == 1


def test_target_by_label_name_and_bad_label(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("bert")))
    name = loaded.model.config.id2label[1]
    assert resolve_target(loaded.model, name) == 1 and resolve_target(loaded.model, None) is None
    with pytest.raises(DataError):
        resolve_target(loaded.model, "no-such-label")
    with pytest.raises(DataError):
        resolve_target(loaded.model, 7)


def test_attribution_html_is_inline_and_escaped() -> None:
    html = attribution_html(["[CLS]", "<b>", "##ad", "Ġgood", "[SEP]"], [0.0, 0.5, -0.25, 1.0, 0.0],
                            hide=[True, False, False, False, True], title="for 'positive'")
    assert "<script" not in html and "&lt;b&gt;" in html
    assert html.count("<span") == 3 and "rgba(220,38,38" in html and "rgba(22,163,74" in html
    assert ">ad<" in html and ">good<" in html


def test_caveat_constant() -> None:
    assert CAVEAT.startswith("Attention weights are not an explanation")
