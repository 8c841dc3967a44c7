"""Extract exact attention weights (eager attention) for one text or text pair, as plain arrays.

The boundary with drawing is plain data: tokens plus a ``[layers, heads, T, T]`` float array, in the
spirit of bertviz. Aggregates (mean over heads, rollout) are pure numpy functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import DataError


@dataclass
class AttentionResult:
    """Tokens and attention weights for one input; ``attentions`` is [layers, heads, T, T]."""

    tokens: list[str]
    attentions: np.ndarray
    special: list[bool]
    segments: list[int]
    causal: bool
    prediction: dict[str, Any] | None = None

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


def extract_attention(model: Any, tokenizer: Any, text: str, text_pair: str | None = None,
                      max_length: int = 512) -> AttentionResult:
    """Run the model once with ``output_attentions=True`` and return every layer's weights."""
    import torch

    if not text or not str(text).strip():
        raise DataError("Type a text to see its attention.")
    if getattr(model.config, "_attn_implementation", "eager") != "eager":
        raise DataError("This model was loaded without eager attention: reload it with attn_implementation='eager'.")
    encoded = tokenizer(text, text_pair, truncation=True, max_length=max_length, return_tensors="pt",
                        return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask")[0].bool().tolist()
    segments = encoded["token_type_ids"][0].tolist() if "token_type_ids" in encoded else _segments(encoded, tokenizer, text_pair)
    device = next(model.parameters()).device
    with torch.inference_mode():
        output = model(**encoded.to(device), output_attentions=True)
    if not output.attentions:
        raise DataError(f"{type(model).__name__} returned no attention weights.")
    weights = torch.stack([layer[0] for layer in output.attentions]).float().cpu().numpy()
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    probs = torch.softmax(output.logits[0].float(), -1).cpu().numpy()
    id2label = model.config.id2label
    prediction = {"label": str(id2label[int(probs.argmax())]),
                  "scores": {str(id2label[i]): float(p) for i, p in enumerate(probs)}}
    causal = bool(getattr(model.config, "is_decoder", False) or model.config.model_type in CAUSAL_TYPES)
    return AttentionResult(tokens, weights, special, segments, causal, prediction)


CAUSAL_TYPES = {"gpt2", "gpt_neo", "gptj", "gpt_neox", "llama", "mistral", "qwen2", "opt", "bloom", "phi", "gemma"}


def _segments(encoded: Any, tokenizer: Any, text_pair: str | None) -> list[int]:
    """Segment ids for tokenizers without token_type_ids: 1 from the second text's first token on."""
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
    rows are renormalised, and layers are multiplied from the bottom up.
    """
    mean = mean_over_heads(attentions)
    size = mean.shape[-1]
    result = np.empty_like(mean)
    joint = np.eye(size, dtype=mean.dtype)
    for layer, matrix in enumerate(mean):
        if residual:
            matrix = 0.5 * matrix + 0.5 * np.eye(size, dtype=mean.dtype)
            matrix = matrix / matrix.sum(axis=-1, keepdims=True)
        joint = matrix @ joint
        result[layer] = joint
    return result
