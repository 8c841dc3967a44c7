"""The neuron view's query and key vectors reproduce the model's own attention weights, head by head."""

from __future__ import annotations

import numpy as np
import pytest

from core.attention.neurons import query_key, reproduce
from core.errors import DataError
from core.inference import load_for_inference
from tests.tiny import _bpe_tokenizer


@pytest.mark.parametrize("family", ["bert", "distilbert", "gpt2", "albert", "electra", "roberta"])
def test_softmax_of_q_dot_k_is_the_models_attention(tiny_models, family: str) -> None:
    loaded = load_for_inference(str(tiny_models(family)))
    pair = None if family == "gpt2" else "i loved it"
    for layer in (0, 1):
        qk = query_key(loaded.model, loaded.tokenizer, "the movie was great", pair, layer)
        heads, size, dim = qk.queries.shape
        assert (heads, dim) == (4, 8) and qk.keys.shape == qk.queries.shape and size == len(qk.tokens)
        assert qk.scale == pytest.approx(dim ** -0.5)
        np.testing.assert_allclose(reproduce(qk), qk.weights, atol=1e-5)
        assert qk.causal == (family == "gpt2") and qk.other is None


def test_a_wrong_scale_or_vector_no_longer_reproduces(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("bert")))
    qk = query_key(loaded.model, loaded.tokenizer, "the movie was great", None, 1)
    qk.scale *= 2
    assert np.abs(reproduce(qk) - qk.weights).max() > 1e-3
    with pytest.raises(DataError, match="layers 0..1"):
        query_key(loaded.model, loaded.tokenizer, "the movie", None, 2)


def test_gpt2_future_is_masked(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("gpt2")))
    qk = query_key(loaded.model, loaded.tokenizer, "the movie was great and i loved it", None, 0)
    upper = np.triu_indices(len(qk.tokens), 1)
    assert np.all(np.isinf(qk.mask[upper])) and np.all(reproduce(qk)[:, upper[0], upper[1]] == 0)


@pytest.mark.parametrize("model_type", ["llama", "qwen3"])
def test_llama_style_vectors_are_after_rotary_with_grouped_keys(model_type: str) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    tokenizer = _bpe_tokenizer("gpt2")
    config = AutoConfig.for_model(model_type, vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, head_dim=8, intermediate_size=64,
                                  max_position_embeddings=128, num_labels=2, pad_token_id=0)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config, attn_implementation="eager").eval()
    qk = query_key(model, tokenizer, "the movie was great and i loved it", None, 1)
    np.testing.assert_allclose(reproduce(qk), qk.weights, atol=1e-5)
    assert qk.causal and any("rotary" in note for note in qk.notes) and any("grouped" in note for note in qk.notes)


def test_deberta_reports_its_position_terms(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("deberta-v2")))
    qk = query_key(loaded.model, loaded.tokenizer, "the movie was great", "i loved it", 0)
    assert qk.other is not None and any("disentangled" in note for note in qk.notes)
    np.testing.assert_allclose(reproduce(qk), qk.weights, atol=1e-5)
