"""Extract exact attention weights (eager attention) for one text or text pair, and aggregate them.

The boundary with drawing is plain data: tokens plus a ``[layers, heads, T, T]`` float array, in the
spirit of bertviz. Aggregates (mean over heads, rollout, attention from one token), the special-token
filter, layer/head selection and block pooling are pure numpy functions. Per-head statistics, head
masking and model comparison live in ``core.attention.heads``; token attributions in
``core.attention.attributions``; figures in ``core.plots``. Weights are never rounded or renormalised
here unless a caller asks. Nothing here changes process-wide torch settings (threads, RNG): the app
chooses its inference threads once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import DataError, ModelError
from core.models import is_decoder

ATTENTION_MAX_LENGTH = 512  # tokens read for one text (the attention command's default)



@dataclass
class AttentionResult:
    """Tokens and attention weights for one input; ``attentions`` is [layers, heads, T, T] (rows = queries)."""

    tokens: list[str]
    attentions: np.ndarray
    special: list[bool]
    segments: list[int]
    causal: bool
    prediction: dict[str, Any] | None = None

    @property
    def summary_index(self) -> int:
        """The token a classifier reads: [CLS] (first) for encoders, the last token for decoders."""
        return len(self.tokens) - 1 if self.causal else 0

    @property
    def segment_boundary(self) -> int | None:
        """Index of the first token of the second text, or None for a single text."""
        for i, segment in enumerate(self.segments):
            if segment != self.segments[0]:
                return i
        return None

    def to_dict(self, precision: int | None = None) -> dict[str, Any]:
        weights = self.attentions if precision is None else np.round(self.attentions, precision)
        return {
            "tokens": self.tokens,
            "attentions": weights.tolist(),
            "special_tokens": self.special,
            "segments": self.segments,
            "causal": self.causal,
            "layers": int(self.attentions.shape[0]),
            "heads": int(self.attentions.shape[1]),
            "prediction": self.prediction,
        }


def encode(tokenizer: Any, text: str, text_pair: str | None = None,
           max_length: int = ATTENTION_MAX_LENGTH) -> tuple[Any, list[bool], list[int]]:
    """Tokenize one input as the model sees it: (encoding with batch size 1, special-token flags, segments)."""
    if not text or not str(text).strip():
        raise DataError("Type a text to see its attention.")
    if max_length < 2:
        raise DataError("max_length must be at least 2 tokens.")
    text_pair = text_pair if text_pair and str(text_pair).strip() else None
    encoded = tokenizer(text, text_pair, truncation=True, max_length=max_length, return_tensors="pt",
                        return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask")[0].bool().tolist()
    if "token_type_ids" in encoded and text_pair:
        segments = encoded["token_type_ids"][0].tolist()
        if len(set(segments)) < 2:  # tokenizers that return all-zero type ids (RoBERTa style)
            segments = _segments(encoded, text_pair)
    else:
        segments = _segments(encoded, text_pair)
    return encoded, special, segments


def extract_attention(model: Any, tokenizer: Any, text: str, text_pair: str | None = None,
                      max_length: int = ATTENTION_MAX_LENGTH) -> AttentionResult:
    """Run the model once with ``output_attentions=True`` and return every layer's weights."""
    import torch

    if getattr(model.config, "_attn_implementation", "eager") != "eager":
        raise ModelError("This model was loaded without eager attention: reload it with attn_implementation='eager'.")
    encoded, special, segments = encode(tokenizer, text, text_pair, max_length)
    device = next(model.parameters()).device
    with torch.inference_mode():
        output = model(**encoded.to(device), output_attentions=True)
    if not output.attentions:
        raise ModelError(f"{type(model).__name__} returned no attention weights.")
    weights = torch.stack([layer[0] for layer in output.attentions]).float().cpu().numpy()
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    logits = output.logits[0].float()
    multi_label = getattr(model.config, "problem_type", None) == "multi_label_classification"
    probs = (torch.sigmoid(logits) if multi_label else torch.softmax(logits, -1)).cpu().numpy()
    id2label = model.config.id2label
    prediction = {"label": str(id2label[int(probs.argmax())]),
                  "scores": {str(id2label[i]): float(p) for i, p in enumerate(probs)}}
    return AttentionResult(tokens, weights, special, segments, is_decoder(model.config), prediction)


def _segments(encoded: Any, text_pair: str | None) -> list[int]:
    """Segment ids from the fast tokenizer's sequence ids: 1 from the second text's first token on."""
    length = encoded["input_ids"].shape[1]
    if not text_pair:
        return [0] * length
    try:
        sequence_ids = encoded.sequence_ids(0)
    except (ValueError, AttributeError):
        return [0] * length
    segments, current = [], 0
    for sid in sequence_ids:
        if sid is not None:
            current = sid
        segments.append(current)
    return segments


def mean_over_heads(attentions: np.ndarray) -> np.ndarray:
    """[layers, T, T]: the average head of each layer."""
    return attentions.mean(axis=1)


def rollout(attentions: np.ndarray, residual: bool = True) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema, 2020): [layers, T, T] cumulative token mixing.

    Each layer's head-mean is mixed with the identity for the residual path (0.5 A + 0.5 I),
    rows are renormalised, and layers are multiplied from the bottom up: R_l = A_l R_{l-1}.
    """
    mean = mean_over_heads(attentions)
    size = mean.shape[-1]
    result = np.empty_like(mean)
    joint = np.eye(size, dtype=mean.dtype)
    for layer, matrix in enumerate(mean):
        if residual:
            matrix = 0.5 * matrix + 0.5 * np.eye(size, dtype=mean.dtype)
            matrix = matrix / matrix.sum(axis=-1, keepdims=True)
        joint = _matmul(matrix, joint)
        result[layer] = joint
    return result


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Small products without BLAS threads: on a busy machine a threaded 128 x 128 matmul can wait
    ~20 ms for its worker threads, while the plain einsum loop takes ~0.3 ms."""
    return np.einsum("ij,jk->ik", a, b, optimize=False) if a.shape[-1] <= 256 else a @ b


def attention_from(attentions: np.ndarray, index: int) -> np.ndarray:
    """[layers, T]: how the head-mean of each layer spreads token ``index``'s attention over all tokens."""
    return mean_over_heads(attentions)[:, index, :]


def drop_special(matrix: np.ndarray, special: list[bool], renormalise: bool = False) -> tuple[np.ndarray, list[int]]:
    """Remove special-token rows and columns from ``[..., T, T]``; returns (matrix, kept indices).

    With ``renormalise`` each remaining row is divided by its sum so it adds up to 1 again; without,
    rows keep the exact weights and add up to less than 1 (the rest went to special tokens).
    """
    keep = [i for i, flag in enumerate(special) if not flag]
    if not keep:
        raise DataError("The input has only special tokens: type some words.")
    index = np.asarray(keep)
    out = matrix[..., index[:, None], index[None, :]]
    if renormalise:
        sums = out.sum(axis=-1, keepdims=True)
        out = np.divide(out, sums, out=np.zeros_like(out), where=sums > 0)
    return out, keep


def select(attentions: np.ndarray, layers: list[int] | None = None,
           heads: list[int] | None = None) -> np.ndarray:
    """Keep only some layers and heads (bertviz-style filters that keep payloads small)."""
    n_layers, n_heads = attentions.shape[:2]
    for name, chosen, count in (("layer", layers, n_layers), ("head", heads, n_heads)):
        bad = [i for i in chosen or [] if not 0 <= i < count]
        if bad:
            raise DataError(f"{name} {bad[0]} does not exist: this model has {name}s 0..{count - 1}.")
    if layers:
        attentions = attentions[layers]
    if heads:
        attentions = attentions[:, heads]
    return attentions


def pool(matrix: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Pool the last two axes into ``block``-wide groups so neither exceeds ``size``; returns (pooled, block).

    A pooled row is the mean of the query rows in its block, and a pooled column the sum of the key
    columns in its block, so pooled attention rows still sum to 1 (the last block averages only the
    tokens it really has).
    """
    length = matrix.shape[-1]
    block = max(1, -(-length // size))
    if block == 1:
        return matrix, 1
    padded = -(-length // block) * block
    counts = np.pad(np.ones((length,), dtype=matrix.dtype), (0, padded - length)).reshape(-1, block).sum(-1)
    if padded != length:
        matrix = np.pad(matrix, [(0, 0)] * (matrix.ndim - 2) + [(0, padded - length), (0, padded - length)])
    full = matrix.reshape(*matrix.shape[:-2], padded // block, block, padded // block, block)
    summed = full.sum(axis=(-3, -1))
    return summed / counts[:, None], block
