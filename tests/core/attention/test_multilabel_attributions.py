"""Integrated gradients on a multi-label model: any label can be the target, f is that label's logit (or its own
sigmoid), the default target is the most probable label, and completeness holds."""

from __future__ import annotations

import pytest
import torch

from core.attention.attributions import integrated_gradients
from core.inference import load_for_inference
from tests.core.inference.multilabel_model import LABELS, make_multilabel_model

TEXT = "so happy yet a little afraid of the dark"


@pytest.fixture(scope="module")
def sharp(tmp_path_factory: pytest.TempPathFactory):
    """A tiny multi-label BERT with larger weights (its own copy), so the outputs move along the path."""
    loaded = load_for_inference(str(make_multilabel_model(tmp_path_factory.mktemp("multi"), seed=3)))
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, parameter in loaded.model.named_parameters():
            if name.endswith("weight") and parameter.dim() == 2:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return loaded


def change(loaded, label: int, output: str) -> float:
    """f(x) - f(baseline) for ``label``: its logit or its sigmoid, baseline = pad in place of non-special tokens."""
    from core.attention.extract import encode

    encoded, special, _ = encode(loaded.tokenizer, TEXT, None, 512)
    ids = encoded["input_ids"]
    padded = torch.where(torch.tensor(special)[None], ids, torch.full_like(ids, loaded.tokenizer.pad_token_id))
    with torch.no_grad():
        values = [loaded.model(**{**encoded, "input_ids": x}).logits[0] for x in (ids, padded)]
    values = [torch.sigmoid(v) if output == "probability" else v for v in values]
    return float(values[0][label] - values[1][label])


@pytest.mark.parametrize("label", LABELS)
def test_every_label_can_be_the_target_of_its_logit(sharp, label: str) -> None:
    result = integrated_gradients(sharp.model, sharp.tokenizer, TEXT, target=label, n_steps=64)
    index = LABELS.index(label)
    assert result.output == "logit" and result.label == label and result.target == index
    expected = change(sharp, index, "logit")
    assert abs(expected) > 1e-3  # the check below is not vacuous
    assert sum(result.scores) == pytest.approx(expected, rel=0.03, abs=1e-3)


def test_probability_is_the_labels_own_sigmoid(sharp) -> None:
    result = integrated_gradients(sharp.model, sharp.tokenizer, TEXT, target="fear", output="probability", n_steps=64)
    with torch.no_grad():
        logits = sharp.model(**sharp.tokenizer(TEXT, return_tensors="pt")).logits[0]
    assert result.value == pytest.approx(float(torch.sigmoid(logits)[1]), abs=1e-5)
    assert sum(result.scores) == pytest.approx(change(sharp, 1, "probability"), rel=0.03, abs=1e-3)


def test_default_target_is_the_most_probable_label(sharp) -> None:
    with torch.no_grad():
        logits = sharp.model(**sharp.tokenizer(TEXT, return_tensors="pt")).logits[0]
    result = integrated_gradients(sharp.model, sharp.tokenizer, TEXT, n_steps=8)
    assert result.label == LABELS[int(logits.argmax())]



def test_attention_result_scores_a_multi_label_model_with_sigmoids(sharp) -> None:
    from core.attention.extract import extract_attention

    result = extract_attention(sharp.model, sharp.tokenizer, TEXT)
    scores = result.prediction["scores"]
    with torch.inference_mode():
        from core.attention.extract import encode

        encoded, _, _ = encode(sharp.tokenizer, TEXT, None, 512)
        expected = torch.sigmoid(sharp.model(**encoded).logits[0].float()).tolist()
    assert list(scores) == LABELS
    assert [round(v, 5) for v in scores.values()] == [round(v, 5) for v in expected]
    assert result.prediction["label"] == LABELS[max(range(len(expected)), key=expected.__getitem__)]
