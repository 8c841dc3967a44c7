"""Language-model forms of a model: masked LM for encoders, causal LM for decoders.

``load_language_model`` loads a model with its language-modelling head through the same safe loader
as the classifiers (``core.models``: safetensors only, offline first, GGUF for SmolLM2). A checkpoint
saved without that head (the sentence-transformer MiniLM ships only its encoder) gets one: transformers
5 ties the output matrix to the token embeddings and initialises the rest (BERT's transform layer and
bias) randomly, which ``LanguageModel.new_head`` reports. ``keep_base_weights`` copies into a saved LM
folder the base-model weights an LM class leaves out (BERT's pooler), so a classifier fine-tuned from
it starts exactly like one fine-tuned from the base. Whether a model is a decoder is ``core.models.is_decoder``;
SmolLM2's GGUF file is found by ``core.modelref``. Training is ``core.pretrain.stage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.modelref import ModelSource
from core.models import check_weights, from_pretrained, is_decoder, load_model_config, pickle_allowed


@dataclass
class LanguageModel:
    """A loaded LM: the model, whether it is a decoder (causal LM) and whether its head was just initialised."""

    model: Any
    decoder: bool
    new_head: bool


def load_language_model(source: ModelSource, attn_implementation: str | None = None) -> LanguageModel:
    """The model with its masked-LM (encoders) or causal-LM (decoders) head."""
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    config = load_model_config(source)
    check_weights(source)
    decoder = is_decoder(config)
    if not decoder and config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        raise ConfigError(f"{source.display} ({config.model_type}) has no masked-language-model form: choose an "
                          "encoder such as BERT or RoBERTa, a decoder such as GPT-2, or turn pre-training off.")
    kwargs: dict[str, Any] = {"attn_implementation": attn_implementation} if attn_implementation else {}
    if not pickle_allowed():
        kwargs["use_safetensors"] = True
    loader = AutoModelForCausalLM if decoder else AutoModelForMaskedLM
    model, info = from_pretrained(loader, source, config=config, output_loading_info=True, **kwargs)
    if source.gguf_file:  # dequantised when loaded: it trains and saves like any model
        model.hf_quantizer.remove_quantization_config(model)
    prefix = getattr(model, "base_model_prefix", "")
    missing = [key for key in info.get("missing_keys") or () if not key.startswith(prefix + ".")]
    return LanguageModel(model, decoder, bool(missing))


def _base_weights_file(base: ModelSource) -> Path | None:
    if base.kind == "hub":
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(base.location, "model.safetensors")
        return Path(found) if isinstance(found, str) else None
    path = Path(base.location) / "model.safetensors"
    return path if base.kind != "gguf" and path.is_file() else None


def keep_base_weights(folder: Path, base: ModelSource, prefix: str) -> list[str]:
    """Add to ``folder``'s weights the base model's weights its LM class left out; returns their names.

    Only base-model weights are copied (a pooler), never another task's head. A sharded or missing
    weights file is left as it is.
    """
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    source, target = _base_weights_file(base), Path(folder) / "model.safetensors"
    if source is None or not target.is_file() or not prefix:
        return []
    saved = load_file(target)
    added = {}
    with safe_open(str(source), "pt") as handle:
        keys = list(handle.keys())
        bare = not any(key.startswith(prefix + ".") for key in keys)  # a base model saved without its prefix
        for key in keys:
            name = f"{prefix}.{key}" if bare else key
            if name.startswith(prefix + ".") and name not in saved:
                added[name] = handle.get_tensor(key)
    if added:
        save_file({**saved, **added}, str(target), metadata={"format": "pt"})
    return sorted(added)
