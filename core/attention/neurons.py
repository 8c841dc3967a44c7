"""Query and key vectors of one layer's heads, for the neuron view (what makes each attention score).

``query_key`` runs one input with forward hooks on the attention's query/key projections and returns,
per head, the query and key vectors exactly as the attention kernel multiplies them, the scaling, the
mask, and the model's own attention weights from the same forward. ``reproduce`` recomputes
``softmax(q·k * scale + mask)`` so a caller (and the tests) can check the vectors against the weights.

Families: BERT / RoBERTa / ELECTRA / XLM-R / ALBERT (``query``/``key``; ALBERT's shared layer is told
apart by call order), DistilBERT (``q_lin``/``k_lin``), GPT-2 (``c_attn`` split into q, k, v),
Llama-style decoders (``q_proj``/``k_proj``, after ``q_norm``/``k_norm`` where the model has them,
with the rotary embedding applied by the model's own ``apply_rotary_pos_emb``, and grouped key heads
repeated), DeBERTa (``query_proj``/``key_proj``: only the content-to-content term is a q·k product;
its relative-position terms are reported as ``other``, recovered from the model's weights up to a
per-row constant). Hooks record only the calling thread's forward, so a model shared with concurrent
requests is neither changed nor confused. Drawing is ``core.plots.neuronview``.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.attention.extract import encode
from core.errors import DataError, ModelError
from core.models import is_decoder

# (query child, key child) of an attention module; GPT-2's fused c_attn holds q, k and v.
PROJECTIONS = (("query", "key"), ("q_lin", "k_lin"), ("query_proj", "key_proj"), ("q_proj", "k_proj"),
               ("c_attn", "c_attn"))


@dataclass
class QueryKey:
    """One layer's per-head vectors: ``queries``/``keys`` are [heads, T, d] (keys repeated for grouped heads)."""

    tokens: list[str]
    special: list[bool]
    segments: list[int]
    causal: bool
    layer: int
    queries: np.ndarray
    keys: np.ndarray
    scale: float
    weights: np.ndarray
    notes: list[str] = field(default_factory=list)
    other: np.ndarray | None = None

    @property
    def mask(self) -> np.ndarray:
        """[T, T] additive mask: 0 where a query may look, -inf where it may not (a decoder's future)."""
        size = len(self.tokens)
        mask = np.zeros((size, size), dtype=np.float32)
        if self.causal:
            mask[np.triu_indices(size, 1)] = -np.inf
        return mask

    def scores(self) -> np.ndarray:
        """[heads, T, T] q·k * scale (+ the other terms where the model has them), before the mask."""
        scores = np.einsum("hid,hjd->hij", self.queries.astype(np.float64), self.keys.astype(np.float64)) * self.scale
        return scores + self.other if self.other is not None else scores


def reproduce(qk: QueryKey) -> np.ndarray:
    """softmax(q·k * scale + mask) per head: [heads, T, T], to compare with ``qk.weights``."""
    logits = qk.scores() + qk.mask
    logits -= logits.max(-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(-1, keepdims=True)


def _attention_modules(model: Any) -> list[tuple[Any, str, str]]:
    """(attention module, query child, key child) in model order; each shared module once."""
    found, seen = [], set()
    for _, module in model.named_modules():
        for query, key in PROJECTIONS:
            if hasattr(module, query) and hasattr(module, key) and id(module) not in seen:
                if getattr(module, "is_cross_attention", False):
                    continue
                seen.add(id(module))
                found.append((module, query, key))
                break
    if not found:
        raise ModelError(f"The neuron view does not know where {model.config.model_type} computes queries and keys.")
    return found


def _split(tensor: Any, width: int) -> np.ndarray:
    """[1, T, heads * d] -> [heads, T, d] as float32 numpy."""
    array = tensor.detach().float().cpu().numpy()[0]
    return array.reshape(array.shape[0], -1, width).transpose(1, 0, 2)


class _Recorder:
    """Forward hooks that keep the q/k outputs and rotary tables of each attention call, in call order."""

    def __init__(self, model: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        self.thread = threading.get_ident()
        self.handles: list[Any] = []
        for module, query, key in _attention_modules(model):
            self.handles.append(module.register_forward_pre_hook(self._start, with_kwargs=True))
            q_name = "q_norm" if hasattr(module, "q_norm") else query
            k_name = "k_norm" if hasattr(module, "k_norm") else key
            if q_name == k_name:  # GPT-2: one fused projection
                self.handles.append(getattr(module, q_name).register_forward_hook(self._keep("qkv")))
            else:
                self.handles.append(getattr(module, q_name).register_forward_hook(self._keep("q")))
                self.handles.append(getattr(module, k_name).register_forward_hook(self._keep("k")))

    def _start(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if threading.get_ident() == self.thread:
            self.calls.append({"module": module, "rotary": kwargs.get("position_embeddings")})

    def _keep(self, name: str) -> Any:
        def hook(_module: Any, _args: Any, output: Any) -> None:
            if threading.get_ident() == self.thread and self.calls and name not in self.calls[-1]:
                self.calls[-1][name] = output
        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def query_key(model: Any, tokenizer: Any, text: str, text_pair: str | None = None, layer: int = 0,
              max_length: int = 512) -> QueryKey:
    """One forward with hooks: layer ``layer``'s per-head query and key vectors and attention weights."""
    import torch

    if getattr(model.config, "_attn_implementation", "eager") != "eager":
        raise ModelError("This model was loaded without eager attention: reload it with attn_implementation='eager'.")
    encoded, special, segments = encode(tokenizer, text, text_pair, max_length)
    recorder = _Recorder(model)
    try:
        with torch.inference_mode():
            output = model(**encoded.to(next(model.parameters()).device), output_attentions=True)
    finally:
        recorder.remove()
    layers = len(output.attentions)
    if not 0 <= layer < layers or len(recorder.calls) != layers:
        if len(recorder.calls) != layers:
            raise ModelError(f"Found {len(recorder.calls)} attention calls for {layers} layers: the neuron view "
                             f"does not support {model.config.model_type}.")
        raise DataError(f"layer {layer} does not exist: this model has layers 0..{layers - 1}.")
    weights = output.attentions[layer][0].float().cpu().numpy()
    queries, keys, scale, notes = _vectors(model, recorder.calls[layer], weights.shape[0])
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0].tolist())
    qk = QueryKey(tokens, special, segments, is_decoder(model.config), layer, queries, keys, scale, weights, notes)
    if model.config.model_type.startswith("deberta"):
        qk.other = _other_terms(qk)
        qk.notes.append("DeBERTa's disentangled attention: the vectors make only the content-to-content score; "
                        "'other' is its relative-position terms (c2p + p2c), recovered from the model's weights "
                        "up to a per-row constant")
    return qk


def _vectors(model: Any, call: dict[str, Any], heads: int) -> tuple[np.ndarray, np.ndarray, float, list[str]]:
    """Per-head queries and keys of one attention call, as the attention kernel multiplies them."""
    module, notes = call["module"], []
    if "qkv" in call:
        width = call["qkv"].shape[-1] // 3
        query, key = call["qkv"][..., :width], call["qkv"][..., width:2 * width]
    else:
        query, key = call["q"], call["k"]
    dim = query.shape[-1] if query.dim() == 4 else query.shape[-1] // heads
    query, key = query.reshape(1, query.shape[1], -1), key.reshape(1, key.shape[1], -1)
    if call.get("rotary") is not None:
        rotate = getattr(sys.modules[type(module).__module__], "apply_rotary_pos_emb", None)
        if rotate is None:
            notes.append("pre-rotary vectors: the model's rotary embedding could not be applied, so q·k differs")
        else:
            cos, sin = call["rotary"]
            q4 = query.view(1, query.shape[1], -1, dim).transpose(1, 2)
            k4 = key.view(1, key.shape[1], -1, dim).transpose(1, 2)
            q4, k4 = rotate(q4, k4, cos, sin)
            query, key = q4.transpose(1, 2).reshape(1, q4.shape[2], -1), k4.transpose(1, 2).reshape(1, k4.shape[2], -1)
            notes.append("rotary position embedding applied, as the model does")
    queries, keys = _split(query, dim), _split(key, dim)
    if keys.shape[0] != heads:  # grouped-query attention: each key head serves several query heads
        groups = heads // keys.shape[0]
        keys = np.repeat(keys, groups, axis=0)
        notes.append(f"grouped-query attention: each key head serves {groups} query heads (keys repeated)")
    return queries, keys, _scale(model, module, dim), notes


def _scale(model: Any, module: Any, dim: int) -> float:
    """The factor the model multiplies q·k by (DeBERTa divides by sqrt(d * (1 + position terms)))."""
    if model.config.model_type.startswith("deberta"):
        kinds = getattr(model.config, "pos_att_type", None) or []
        return float((dim * (1 + sum(kind in kinds for kind in ("c2p", "p2c")))) ** -0.5)
    scaling = getattr(module, "scaling", None)
    return float(scaling) if scaling is not None else float(dim ** -0.5)


def _other_terms(qk: QueryKey) -> np.ndarray:
    """log(model weight) - q·k * scale, centred per row over the visible keys: the terms q·k leaves out."""
    content = np.einsum("hid,hjd->hij", qk.queries.astype(np.float64), qk.keys.astype(np.float64)) * qk.scale
    visible = np.isfinite(qk.mask)[None] & (qk.weights > 0)
    rest = np.where(visible, np.log(np.where(visible, qk.weights, 1.0)) - content, 0.0)
    counts = np.maximum(visible.sum(-1, keepdims=True), 1)
    return np.where(visible, rest - rest.sum(-1, keepdims=True) / counts, 0.0)
