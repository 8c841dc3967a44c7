"""Per-head views of a model: statistics, head importance by masking, and base-vs-fine-tuned change.

* ``head_statistics``: mean row entropy and mean attention distance per layer x head.
* ``head_importance``: mask one head at a time and measure the change in the predicted class's
  probability. transformers 5.x removed the ``head_mask`` argument from every model family, so all
  families are masked the same way: a forward pre-hook on the attention output projection zeroes
  that head's slice of the context vector (exactly what ``head_mask=0`` did to the attention probs).
  Projections per family are listed in ``OUTPUT_PROJECTIONS``; ALBERT shares one layer across
  depths, so hooks count calls and mask by execution order.
* ``head_divergence`` / ``compare_models``: Jensen-Shannon or L1 distance per head between two
  models' attention on the same tokens, ranked.
Loading models and drawing are left to ``core.inference`` and ``core.plots``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.attention.extract import AttentionResult, encode, extract_attention
from core.errors import DataError, ModelError
from core.inference.loading import load_for_inference
from core.modelref import ModelLike
from core.runs import load_config

# model_type -> name suffix of the module whose *input* is the concatenated per-head context.
OUTPUT_PROJECTIONS: dict[str, str] = {
    "bert": "attention.output.dense",
    "roberta": "attention.output.dense",
    "electra": "attention.output.dense",
    "deberta-v2": "attention.output.dense",
    "deberta": "attention.output.dense",
    "xlm-roberta": "attention.output.dense",
    "distilbert": "attention.out_lin",
    "albert": "attention.dense",
    "gpt2": "attn.c_proj",
}
FALLBACK_SUFFIXES = ("self_attn.o_proj", "self_attn.out_proj", "attention.output.dense", "attn.c_proj")


def head_statistics(attentions: np.ndarray) -> dict[str, np.ndarray]:
    """``{"entropy", "distance"}``, each [layers, heads], averaged over query rows.

    entropy: -sum_j a_ij ln a_ij in nats (0 = looks at one token; ln T = uniform).
    distance: sum_j a_ij |i - j| in tokens (how far a head looks on average).
    """
    weights = np.asarray(attentions, dtype=np.float32)
    logs = np.log(np.maximum(weights, np.float32(1e-12)))
    entropy = -np.einsum("...ij,...ij->...i", weights, logs).mean(-1, dtype=np.float64)
    size = weights.shape[-1]
    offsets = np.abs(np.arange(size)[:, None] - np.arange(size)[None, :]).astype(np.float32)
    distance = np.einsum("...ij,ij->...i", weights, offsets).mean(-1, dtype=np.float64)
    return {"entropy": entropy, "distance": distance}


def head_divergence(first: np.ndarray, second: np.ndarray, metric: str = "js") -> np.ndarray:
    """[layers, heads] distance between two [layers, heads, T, T] attentions, averaged over rows.

    ``js``: Jensen-Shannon divergence in bits (0..1); ``l1``: sum of absolute differences (0..2).
    """
    if first.shape != second.shape:
        raise DataError(f"Attention shapes differ ({first.shape} vs {second.shape}): compare models of one architecture.")
    p, q = first.astype(np.float64), second.astype(np.float64)
    if metric == "l1":
        return np.abs(p - q).sum(-1).mean(-1)
    if metric != "js":
        raise DataError(f"Unknown metric '{metric}': use 'js' or 'l1'.")
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> np.ndarray:
        return np.where(a > 0, a * (np.log2(np.clip(a, 1e-300, None)) - np.log2(np.clip(m, 1e-300, None))), 0.0).sum(-1)

    return np.clip(0.5 * kl(p) + 0.5 * kl(q), 0.0, 1.0).mean(-1)


def rank_heads(scores: np.ndarray, top: int | None = None, key: str = "score") -> list[dict[str, Any]]:
    """Heads sorted by decreasing ``scores[layer, head]``: ``[{"layer", "head", key}]``."""
    order = np.argsort(-scores, axis=None, kind="stable")
    rows = [{"layer": int(i // scores.shape[1]), "head": int(i % scores.shape[1]), key: float(scores.flat[i])}
            for i in order]
    return rows[:top] if top else rows


@dataclass
class Comparison:
    """The same input through two models, with a per-head distance."""

    base: AttentionResult
    tuned: AttentionResult
    divergence: np.ndarray
    metric: str

    def ranked(self, top: int | None = 10) -> list[dict[str, Any]]:
        return rank_heads(self.divergence, top, key=self.metric)


def compare_models(base: Any, tuned: Any, text: str, text_pair: str | None = None, metric: str = "js",
                   max_length: int = 512) -> Comparison:
    """Run ``text`` through two loaded models (``core.inference.Loaded``) and rank heads by change."""
    first = extract_attention(base.model, base.tokenizer, text, text_pair, max_length)
    second = extract_attention(tuned.model, tuned.tokenizer, text, text_pair, max_length)
    if first.tokens != second.tokens:
        raise ModelError("The two models tokenize the text differently: compare a run with its own base model.")
    if first.attentions.shape[:2] != second.attentions.shape[:2]:  # a distilled student has fewer layers
        raise ModelError(f"The two models have different layers and heads ({first.attentions.shape[0]} x "
                         f"{first.attentions.shape[1]} against {second.attentions.shape[0]} x "
                         f"{second.attentions.shape[1]}), so their heads cannot be paired: look at each model's "
                         "heads on its own.")
    return Comparison(first, second, head_divergence(first.attentions, second.attentions, metric), metric)


def base_model_of(run_dir: str) -> str:
    """The model a run was fine-tuned from (its config.json ``model`` field)."""
    return str(load_config(run_dir).model)


def compare_run(model: ModelLike, text: str, text_pair: str | None = None, metric: str = "js",
                max_length: int = 512) -> Comparison:
    """Base vs fine-tuned for a run folder: its base model (config.json) against its saved model."""
    tuned = load_for_inference(model)
    if tuned.source.kind != "run" or tuned.source.run_dir is None:
        raise ModelError("Base vs fine-tuned needs a run folder: choose a finished run as the model.")
    base = load_for_inference(base_model_of(str(tuned.source.run_dir)))
    return compare_models(base, tuned, text, text_pair, metric, max_length)


def _projections(model: Any) -> list[Any]:
    suffix = OUTPUT_PROJECTIONS.get(model.config.model_type)
    suffixes = (suffix,) if suffix else FALLBACK_SUFFIXES
    found, seen = [], set()
    for name, module in model.named_modules():
        if name.endswith(suffixes) and id(module) not in seen:
            seen.add(id(module))
            found.append(module)
    if not found:
        raise ModelError(f"Head masking does not know where {model.config.model_type} combines its heads.")
    return found


@contextmanager
def masked_heads(model: Any, mask: Any) -> Iterator[None]:
    """Within the block, multiply each head's context by ``mask`` ([batch, layers, heads] or [layers, heads]).

    The k-th call of an output projection during a forward is attention layer k (true for shared
    ALBERT layers too), so the hook counts calls and resets after the last layer.
    """
    import torch

    mask = torch.as_tensor(mask, dtype=torch.float32)
    if mask.dim() == 2:
        mask = mask[None]
    n_layers, n_heads = mask.shape[1:]
    state = {"call": 0}

    def hook(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        layer = state["call"] % n_layers
        state["call"] += 1
        context = args[0]
        width = context.shape[-1] // n_heads
        factor = mask[:, layer].to(context.dtype).to(context.device).repeat_interleave(width, dim=-1)
        shape = (factor.shape[0],) + (1,) * (context.dim() - 2) + (factor.shape[-1],)
        return (context * factor.reshape(shape), *args[1:])

    handles = [module.register_forward_pre_hook(hook) for module in _projections(model)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def head_importance(model: Any, tokenizer: Any, text: str, text_pair: str | None = None,
                    target: int | None = None, max_length: int = 512,
                    should_stop: Callable[[], None] | None = None) -> dict[str, Any]:
    """Mask one head at a time; report the predicted (or ``target``) class probability change per head.

    Returns ``{"label", "target", "probability", "drop": [layers][heads], "ranked": [...]}`` where
    ``drop = p(unmasked) - p(with that head masked)``: positive means the head supports the class.
    Masked copies run as batches of the same input, so one call costs about layers x heads forwards;
    ``should_stop`` is called between batches and may raise (``core.errors.Cancelled``) to end early.
    The masking hooks go on a private copy of ``model``: the model given may be shared with concurrent
    requests and is never changed.
    """
    import copy

    import torch

    model = copy.deepcopy(model)
    encoded, _, _ = encode(tokenizer, text, text_pair, max_length)
    device = next(model.parameters()).device
    encoded = encoded.to(device)
    layers = _layer_count(model)
    heads = _head_count(model)
    length = encoded["input_ids"].shape[1]
    masks = np.ones((layers * heads + 1, layers, heads), dtype=np.float32)
    for k in range(layers * heads):
        masks[k + 1, k // heads, k % heads] = 0.0
    chunk = max(1, int(4e7 // (heads * length * length * 4 + 1)))
    probs = []
    with torch.inference_mode():
        for start in range(0, len(masks), chunk):
            if should_stop:
                should_stop()
            part = masks[start:start + chunk]
            batch = {k: v.expand(len(part), *v.shape[1:]) for k, v in encoded.items()}
            with masked_heads(model, part):
                probs.append(torch.softmax(model(**batch).logits.float(), -1).cpu().numpy())
    table = np.concatenate(probs)
    labels = model.config.id2label
    target = int(table[0].argmax()) if target is None else int(target)
    if not 0 <= target < table.shape[1]:
        raise DataError(f"Class {target} does not exist: this model has classes 0..{table.shape[1] - 1}.")
    drop = (table[0, target] - table[1:, target]).reshape(layers, heads)
    ranked = rank_heads(np.abs(drop), key="abs_drop")
    for row in ranked:
        row["drop"] = float(drop[row["layer"], row["head"]])
    return {"label": str(labels[target]), "target": target, "probability": float(table[0, target]),
            "drop": drop.tolist(), "ranked": ranked}


def _layer_count(model: Any) -> int:
    return int(model.config.num_hidden_layers)  # attribute_map covers n_layer / n_layers


def _head_count(model: Any) -> int:
    return int(model.config.num_attention_heads)  # attribute_map covers n_head / n_heads
