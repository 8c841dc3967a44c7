"""What a model predicts for a word: fill-mask for encoders, next-token for decoders, top k with probabilities.

The model is a model reference as elsewhere (``core.modelref``: 'default', 'smollm2', a hub id, a folder, a run folder); a
run whose pre-training stage finished uses its adapted model with the trained head
(``pretrain/model/``, see ``core.pretrain``). Encoders guess each ``[MASK]`` of the text (written
``[MASK]`` whatever the tokenizer's own mask token is); decoders guess the token after the text. A head
the checkpoint did not ship (the sentence-transformer MiniLM has none) is newly initialised and said so.
Loaded models are cached per model files' version (``core.inference.loading.files_stamp``), shared
and never changed by a request. The result names the tokens and the predicted position, so the
Attention tab can open that position. Fine-tuning and attention extraction live elsewhere.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from core.inference.loading import files_stamp
from core.modelref import ModelLike, ModelSource, ref_of, source_of
from core.models import load_tokenizer, pickle_allowed
from core.pretrain.lm import load_language_model
from core.pretrain.paths import adapted_model

MASK = "[MASK]"
MAX_TOP = 50
MAX_MASKS = 5
MAX_TOKENS = 512
_LOCK = threading.Lock()


@dataclass(frozen=True)
class LanguageModelView:
    """A cached language model for predictions: model (eval mode), tokenizer, decoder or not, warnings."""

    source: ModelSource
    model: Any
    tokenizer: Any
    decoder: bool
    warnings: tuple[str, ...]


def lm_source(model: ModelLike) -> tuple[ModelSource, str | None]:
    """The source to predict with, and a note when a run's pre-training stage supplies it."""
    run_dir = model.run_dir if isinstance(model, ModelSource) else ref_of(model).run_dir()
    adapted = adapted_model(run_dir) if run_dir is not None else None
    if adapted is not None:
        return source_of(adapted), f"run {run_dir.name}'s pre-trained model (with its trained LM head)"
    return source_of(model), None


@functools.lru_cache(maxsize=2)
def _load(source: ModelSource, stamp: tuple[tuple[str, int], ...], allow_pickle: bool) -> LanguageModelView:
    import torch

    tokenizer = load_tokenizer(source)
    with torch.random.fork_rng(devices=[]):  # a new head is seeded, and the process's random state kept
        torch.manual_seed(0)
        lm = load_language_model(source, attn_implementation="eager")
    lm.model.eval()
    for parameter in lm.model.parameters():
        parameter.requires_grad_(False)
    warnings = ()
    if lm.new_head:
        kind = "next-token" if lm.decoder else "masked-LM"
        warnings = (f"{source.display} ships without a {kind} head, so a new one was initialised: its guesses are "
                    "random until a pre-training stage trains it (Train tab: Pre-train first on).",)
    return LanguageModelView(source, lm.model, tokenizer, lm.decoder, warnings)


def language_model(model: ModelLike) -> LanguageModelView:
    """Load (or reuse) the language-model form of ``model`` for predictions."""
    source, _ = lm_source(model)
    with _LOCK:  # one load at a time; a cached model returns at once
        return _load(source, files_stamp(source.location), pickle_allowed())


def fill(model: ModelLike, text: str, top: int = 5) -> dict[str, Any]:
    """Top ``top`` tokens with probabilities: for each ``[MASK]`` (encoders) or for the next token (decoders).

    Returns ``mode`` ('fill-mask' or 'next-token'), ``model``, ``tokens`` (the input as the model reads it),
    ``positions`` (the predicted positions' token indices), ``predictions`` (one list per position of
    {token, probability, token_id, sequence}) and ``warnings``.
    """
    if not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise ConfigError(f"top must be a whole number from 1 to {MAX_TOP} (got {top!r}).")
    if not str(text or "").strip():
        raise ConfigError(f"Type a text first (with {MASK} where an encoder should guess a word).")
    note = lm_source(model)[1]
    view = language_model(model)
    encoded, positions = _encode(view, str(text))
    probabilities = _probabilities(view, encoded, positions)
    tokenizer = view.tokenizer
    ids = encoded["input_ids"][0].tolist()
    predictions = []
    for row, position in zip(probabilities, positions, strict=True):
        values, indices = row.topk(top)
        predictions.append([_guess(tokenizer, ids, position, int(i), float(p), view.decoder)
                            for p, i in zip(values.tolist(), indices.tolist(), strict=True)])
    return {"mode": "next-token" if view.decoder else "fill-mask", "model": view.source.display,
            "tokens": tokenizer.convert_ids_to_tokens(ids), "positions": positions, "predictions": predictions,
            "warnings": list(view.warnings) + ([f"Using {note}."] if note else [])}


def _encode(view: LanguageModelView, text: str) -> tuple[Any, list[int]]:
    tokenizer = view.tokenizer
    if view.decoder:
        if MASK in text:
            raise ConfigError(f"{view.source.display} is a decoder: it guesses the next token, so remove {MASK} and "
                              "end the text where it should continue.")
        encoded = tokenizer(text, return_tensors="pt", truncation=True, max_length=MAX_TOKENS)
        return encoded, [int(encoded["input_ids"].shape[1]) - 1]
    count = text.count(MASK)
    if count == 0:
        raise ConfigError(f"Put {MASK} where {view.source.display} should guess a word, e.g. 'the film was [MASK].'")
    if count > MAX_MASKS:
        raise ConfigError(f"The text has {count} {MASK} tokens: use at most {MAX_MASKS}.")
    encoded = tokenizer(text.replace(MASK, tokenizer.mask_token), return_tensors="pt", truncation=True,
                        max_length=MAX_TOKENS)
    positions = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten().tolist()
    if len(positions) < count:
        raise ConfigError(f"A {MASK} falls beyond the first {MAX_TOKENS} tokens: shorten the text before it.")
    return encoded, positions


def _probabilities(view: LanguageModelView, encoded: Any, positions: list[int]) -> Any:
    import torch

    device = next(view.model.parameters()).device
    with torch.inference_mode():
        logits = view.model(**encoded.to(device)).logits[0, positions].float()
    return torch.softmax(logits, dim=-1).cpu()


def _guess(tokenizer: Any, ids: list[int], position: int, token_id: int, probability: float,
           decoder: bool) -> dict[str, Any]:
    """One prediction: the token as text, its probability and the text with it filled in (or appended)."""
    filled = ids[:position + 1] + [token_id] if decoder else ids[:position] + [token_id] + ids[position + 1:]
    return {"token": tokenizer.decode([token_id]), "token_id": token_id, "probability": probability,
            "sequence": tokenizer.decode(filled, skip_special_tokens=True)}
