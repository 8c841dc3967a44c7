"""What a model without a trained language-model head can still show a newcomer: how close sentences are.

``ships_lm_head`` tells from a checkpoint's weight names alone (the safetensors header, no tensor is read)
whether it ships a trained masked-LM or next-token head: the head's weights (``cls.predictions.*`` for BERT,
``lm_head.*`` for RoBERTa, …, as the model's LM class names them, less those tied to the token embeddings) are
missing from a checkpoint whose head would be newly initialised, like the embedded sentence-transformer
MiniLM. Such a model gives random fill-mask guesses, so the playground offers ``sentence_similarity``
instead: cosine similarity of the mean-pooled encoder states (``core.inference.similar.embed``), which is
what MiniLM was trained for. A run whose pre-training stage finished is judged by its adapted model
(``core.inference.fill.lm_source``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.inference.fill import lm_source
from core.inference.loading import Loaded, files_stamp
from core.inference.predict import clean_text
from core.inference.similar import embed
from core.modelref import ModelLike, ModelSource
from core.models import is_decoder, load_model_config

MAX_SENTENCES = 20


def _weight_names(source: ModelSource) -> set[str] | None:
    """The tensor names of a safetensors checkpoint (one file or sharded); None when they cannot be read."""
    from safetensors import safe_open

    def local(name: str) -> Path | None:
        if source.kind == "hub":
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(source.location, name)
            return Path(found) if isinstance(found, str) else None
        path = Path(source.location) / name
        return path if path.is_file() else None

    try:
        single = local("model.safetensors")
        if single is not None:
            with safe_open(str(single), "pt") as handle:
                return set(handle.keys())
        index = local("model.safetensors.index.json")
        if index is not None:
            return set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}))
    except (OSError, ValueError):
        return None
    return None


def _head_names(config: Any, decoder: bool) -> set[str]:
    """The weight names of the LM head the model's LM class adds to the base model, less tied ones."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

    loader = AutoModelForCausalLM if decoder else AutoModelForMaskedLM
    with torch.device("meta"):
        lm = loader.from_config(config)
    prefix = getattr(lm, "base_model_prefix", "")
    output, inputs = lm.get_output_embeddings(), lm.get_input_embeddings()
    tied = output is not None and inputs is not None and output.weight is inputs.weight
    names = {name for name, _ in lm.named_parameters(remove_duplicate=False) if not name.startswith(prefix + ".")}
    if tied:
        names -= {name for name, value in lm.named_parameters(remove_duplicate=False) if value is output.weight}
    return names


@functools.lru_cache(maxsize=8)
def _ships_head(source: ModelSource, stamp: tuple[tuple[str, int], ...]) -> bool:
    if source.kind == "gguf":  # the embedded SmolLM2 decoder: an instruct model with its (tied) head
        return True
    names = _weight_names(source)
    if names is None:  # pickle weights or a hub model not cached: the load says whether its head is new
        return True
    config = load_model_config(source)
    head = _head_names(config, is_decoder(config))
    return not head or bool(head & names)


def ships_lm_head(model: ModelLike) -> bool:
    """Whether the model the playground would use ships a trained masked-LM / next-token head (see the module
    docstring); True when that cannot be told without loading it."""
    source, _ = lm_source(model)
    try:
        return _ships_head(source, files_stamp(source.location))
    except (OSError, ValueError, ConfigError):
        return True


def sentence_similarity(loaded: Loaded, text: str, others: list[str]) -> list[dict[str, Any]]:
    """How close each of ``others`` is to ``text`` (cosine similarity of mean-pooled encoder states), closest
    first: ``[{"text", "similarity"}]``."""
    text = clean_text(str(text or "")).strip()
    others = [clean_text(str(o)).strip() for o in others or [] if str(o or "").strip()]
    if not text:
        raise ConfigError("Type a sentence to compare.")
    if not others:
        raise ConfigError("Type at least one sentence to compare it with, one per line.")
    if len(others) > MAX_SENTENCES:
        raise ConfigError(f"Compare with at most {MAX_SENTENCES} sentences at a time (got {len(others)}).")
    vectors = embed(loaded, [text, *others], max_length=256)
    scores = vectors[1:] @ vectors[0]
    ranked = sorted(zip(others, scores.tolist(), strict=True), key=lambda item: -item[1])
    return [{"text": other, "similarity": float(score)} for other, score in ranked]
