"""Exact extraction for every tiny family, aggregates checked by hand, filters, pooling, statistics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.attention.extract import (
    attention_from,
    drop_special,
    extract_attention,
    mean_over_heads,
    pool,
    rollout,
    select,
)
from core.attention.heads import head_divergence, head_statistics, rank_heads
from core.errors import DataError
from core.inference import load_for_inference
from tests.tiny import FAMILIES

TEXT, PAIR = "the movie was wonderful", "i loved every minute of it"


@pytest.mark.parametrize("family", FAMILIES)
def test_extraction_matches_raw_transformers(tiny_models, family: str) -> None:
    from transformers import AutoModel, AutoTokenizer

    folder = tiny_models(family)
    loaded = load_for_inference(str(folder))
    result = extract_attention(loaded.model, loaded.tokenizer, TEXT, PAIR)

    raw = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoded = tokenizer(TEXT, PAIR, return_tensors="pt")
    with torch.no_grad():
        expected = torch.stack(raw(**encoded, output_attentions=True).attentions)[:, 0].numpy()

    assert result.attentions.shape == expected.shape == (2, 4, len(result.tokens), len(result.tokens))
    np.testing.assert_allclose(result.attentions, expected, atol=1e-5)
    np.testing.assert_allclose(result.attentions.sum(-1), 1.0, atol=1e-5)
    assert result.segment_boundary is not None and result.segments[result.segment_boundary] == 1
    if family == "gpt2":
        assert result.causal and result.summary_index == len(result.tokens) - 1
        assert np.all(np.triu(result.attentions, k=1) == 0.0)
    else:
        assert not result.causal and result.summary_index == 0
        assert result.special[0] and result.special[-1]


def test_eager_attention_is_required(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("bert")), attn_implementation="sdpa")
    with pytest.raises(Exception, match="eager"):
        extract_attention(loaded.model, loaded.tokenizer, TEXT)


def test_empty_text_is_a_data_error(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("bert")))
    with pytest.raises(DataError):
        extract_attention(loaded.model, loaded.tokenizer, "   ")


def test_rollout_by_hand() -> None:
    first = np.array([[1.0, 0.0], [0.5, 0.5]])
    second = np.array([[0.0, 1.0], [0.0, 1.0]])
    attentions = np.stack([np.stack([first, first]), np.stack([second, second])])  # [2 layers, 2 heads, 2, 2]
    # residual: 0.5 A + 0.5 I  ->  M1 = [[1, 0], [.25, .75]], M2 = [[.5, .5], [0, 1]]; R2 = M2 @ M1
    result = rollout(attentions)
    np.testing.assert_allclose(result[0], [[1.0, 0.0], [0.25, 0.75]])
    np.testing.assert_allclose(result[1], [[0.625, 0.375], [0.25, 0.75]])
    np.testing.assert_allclose(rollout(attentions, residual=False)[1], second @ first)


def test_mean_over_heads_and_attention_from() -> None:
    heads = np.stack([np.eye(3), np.full((3, 3), 1 / 3)])[None]
    np.testing.assert_allclose(mean_over_heads(heads)[0], 0.5 * np.eye(3) + 1 / 6)
    np.testing.assert_allclose(attention_from(heads, 2)[0], [1 / 6, 1 / 6, 0.5 + 1 / 6])


def test_drop_special_with_and_without_renormalising() -> None:
    matrix = np.array([[0.5, 0.25, 0.25], [0.2, 0.4, 0.4], [0.1, 0.3, 0.6]])
    kept, index = drop_special(matrix, [True, False, False])
    assert index == [1, 2]
    np.testing.assert_allclose(kept, [[0.4, 0.4], [0.3, 0.6]])
    renormalised, _ = drop_special(matrix, [True, False, False], renormalise=True)
    np.testing.assert_allclose(renormalised.sum(-1), 1.0)
    with pytest.raises(DataError):
        drop_special(matrix, [True, True, True])


@pytest.mark.parametrize("length, cap", [(10, 64), (128, 64), (130, 32), (512, 32)])
def test_pool_keeps_rows_summing_to_one(length: int, cap: int) -> None:
    rng = np.random.default_rng(length)
    matrix = rng.random((2, length, length))
    matrix /= matrix.sum(-1, keepdims=True)
    pooled, block = pool(matrix, cap)
    assert pooled.shape[-1] <= cap and pooled.shape[-1] == -(-length // block)
    np.testing.assert_allclose(pooled.sum(-1), 1.0)


def test_select_filters_and_rejects_missing_indices() -> None:
    attentions = np.zeros((3, 4, 2, 2))
    assert select(attentions, [0, 2], [1]).shape == (2, 1, 2, 2)
    with pytest.raises(DataError, match="layer 5"):
        select(attentions, [5])


def test_head_statistics_by_hand() -> None:
    size = 4
    uniform = np.full((size, size), 1 / size)
    identity = np.eye(size)
    previous = np.eye(size, k=-1)
    previous[0, 0] = 1.0  # first token attends to itself
    stats = head_statistics(np.stack([uniform, identity, previous])[None])
    np.testing.assert_allclose(stats["entropy"][0], [np.log(size), 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(stats["distance"][0], [np.mean([1.5, 1.0, 1.0, 1.5]), 0.0, 0.75])


def test_divergence_and_ranking() -> None:
    one_hot = np.eye(3)[None, None].repeat(2, axis=1)  # [1 layer, 2 heads, 3, 3]
    other = one_hot.copy()
    other[0, 1] = np.roll(np.eye(3), 1, axis=1)  # head 1 looks elsewhere entirely
    js = head_divergence(one_hot, other)
    np.testing.assert_allclose(js, [[0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(head_divergence(one_hot, other, "l1"), [[0.0, 2.0]])
    assert rank_heads(js, 1, key="js") == [{"layer": 0, "head": 1, "js": 1.0}]
    with pytest.raises(DataError):
        head_divergence(one_hot, other[:, :1])


@pytest.mark.slow
def test_default_model_is_exact_and_long_inputs_stay_light() -> None:
    from transformers import AutoModel, AutoTokenizer

    from core.modelref import default_model_path
    from core.plots.attention import model_grid_figure

    loaded = load_for_inference("default")
    long_text = "the film opens slowly but the acting is wonderful and the story is moving " * 60
    result = extract_attention(loaded.model, loaded.tokenizer, TEXT, PAIR)
    raw = AutoModel.from_pretrained(default_model_path(), attn_implementation="eager").eval()
    encoded = AutoTokenizer.from_pretrained(default_model_path())(TEXT, PAIR, return_tensors="pt")
    with torch.no_grad():
        expected = torch.stack(raw(**encoded, output_attentions=True).attentions)[:, 0].numpy()
    assert result.attentions.shape[:2] == (6, 12)
    np.testing.assert_allclose(result.attentions, expected, atol=1e-5)

    long = extract_attention(loaded.model, loaded.tokenizer, long_text, max_length=512)
    assert long.attentions.shape[-1] == 512
    grid = model_grid_figure(long.attentions)
    assert np.asarray(grid.data[0].z).shape[0] < 6 * 40 and "pooled to 32x32" in grid.layout.title.text
