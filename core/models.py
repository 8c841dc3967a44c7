"""Load models from the :class:`~core.modelref.ModelSource` a model reference resolves to (``core.modelref``).

Tokenizer (a decoder's padding is set here, once), classifier, configuration, the language-model loaders'
shared ``from_pretrained``; whether a model is a decoder; and a loaded model's description (the device and
precision are ``core.devices``). Loading prefers the local cache
so it works offline; when a hub id is not cached and there is no network, the error says what to do.
Weights load from safetensors only: pickle weights (``pytorch_model.bin``) can run code when loaded, so
they are refused unless the admin opts in (``$TUNESCOPE_ALLOW_PICKLE=1`` or the CLI's ``--allow-pickle``).
Remote code is never trusted. Training and attention extraction live in their own modules.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from core.errors import ModelError
from core.modelref import ModelSource

ALLOW_PICKLE = "TUNESCOPE_ALLOW_PICKLE"
SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
QUANTIZATION_KEY = "tunescope_quantization"  # a model's config.json: quantize when loaded (core.inference.quantized)
CAUSAL_TYPES = {"gpt2", "gpt_neo", "gptj", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "opt", "bloom",
                "phi", "phi3", "gemma", "gemma2", "falcon", "mpt"}


def is_decoder(config: Any) -> bool:
    """True for decoder-only models (next-token prediction, attention masked to earlier tokens), False for encoders."""
    return bool(getattr(config, "is_decoder", False) or config.model_type in CAUSAL_TYPES)


def _offline_message(model_id: str, exc: Exception) -> str:
    return (f"Could not load '{model_id}': it is not in the local Hugging Face cache and the hub cannot be reached "
            f"({type(exc).__name__}). On a connected machine run `hf download {model_id}` and copy the cache "
            "(~/.cache/huggingface), or save the model to a folder and choose that folder.")


def pickle_allowed() -> bool:
    """True when the admin opted in to pickle weights ($TUNESCOPE_ALLOW_PICKLE=1, set by ``--allow-pickle``)."""
    return os.environ.get(ALLOW_PICKLE, "").strip().lower() in ("1", "true", "yes")


def _pickle_message(where: str) -> str:
    return (f"{where} has only pickle weights (pytorch_model.bin), which can run code when loaded: convert it to "
            "safetensors (load it once in a sandbox and save_pretrained it, which writes model.safetensors) or, if "
            f"you trust it, set {ALLOW_PICKLE}=1 / pass --allow-pickle (admin only).")


def _cached_files(model_id: str, names: tuple[str, ...]) -> list[str]:
    from huggingface_hub import try_to_load_from_cache

    return [name for name in names if isinstance(try_to_load_from_cache(model_id, name), str)]


def check_weights(source: ModelSource) -> None:
    """Refuse a model whose only weights are pickle (unless allowed) or that has no weights at all.

    For a hub id only the local cache is looked at; what is not cached is left to the download.
    """
    if source.kind == "gguf":  # tensors only, dequantised by transformers: nothing to unpickle
        return None
    if source.kind == "hub":
        safe, unsafe = _cached_files(source.location, SAFE_WEIGHTS), _cached_files(source.location, PICKLE_WEIGHTS)
    else:
        folder = Path(source.location)
        safe = [name for name in SAFE_WEIGHTS if (folder / name).is_file()]
        unsafe = [name for name in PICKLE_WEIGHTS if (folder / name).is_file()]
        if not safe and not unsafe:
            raise ModelError(f"{source.location} has no model weights (model.safetensors): it holds only a "
                             "configuration, so choose a folder with a saved model.")
    if unsafe and not safe and not pickle_allowed():
        raise ModelError(_pickle_message(source.display if source.kind == "hub" else source.location))


def from_pretrained(loader: Any, source: ModelSource, **kwargs: Any) -> Any:
    """Call ``loader.from_pretrained`` (any transformers Auto class) on ``source``: local files first, GGUF
    dequantised, friendly errors when offline."""
    if source.gguf_file:
        kwargs = {k: v for k, v in kwargs.items() if k != "use_safetensors"} | {"gguf_file": source.gguf_file}
    if source.kind != "hub":
        try:
            return loader.from_pretrained(source.location, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"Could not load the model in {source.location}: {exc}") from exc
    try:
        return loader.from_pretrained(source.location, local_files_only=True, **kwargs)
    except (OSError, ValueError):
        pass
    try:
        return loader.from_pretrained(source.location, **kwargs)
    except ValueError as exc:
        raise ModelError(f"'{source.location}' cannot be used here: {exc}") from exc
    except OSError as exc:
        if kwargs.get("use_safetensors") and "cannot be loaded with `safetensors`" in str(exc):  # pickle weights only
            raise ModelError(_pickle_message(source.display)) from exc
        if "is not a valid model identifier" in str(exc) or "Repository Not Found" in str(exc):
            raise ModelError(
                f"'{source.location}' is not a model on the Hugging Face hub or in the local cache: check the id."
            ) from exc
        raise ModelError(_offline_message(source.location, exc)) from exc
    except Exception as exc:  # network stacks raise their own types
        raise ModelError(_offline_message(source.location, exc)) from exc


def load_tokenizer(source: ModelSource) -> Any:
    """The model's tokenizer, with a pad token set for decoders that lack one (GPT-2 style). Padding with
    end-of-text pads right and reads special-token text as text: decoders' classifiers pool on the last real token."""
    from transformers import AutoTokenizer

    tokenizer = from_pretrained(AutoTokenizer, source)
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        elif tokenizer.unk_token is not None:
            tokenizer.pad_token = tokenizer.unk_token
        else:
            raise ModelError(f"{source.display} has no pad, end-of-text or unknown token to pad batches with.")
    if tokenizer.eos_token_id is not None and tokenizer.pad_token_id == tokenizer.eos_token_id:
        tokenizer.padding_side, tokenizer.split_special_tokens = "right", True
    return tokenizer


def load_classifier(
    source: ModelSource,
    labels: list[str] | None = None,
    *,
    attn_implementation: str | None = None,
    tokenizer: Any = None,
    dropout: float | None = None,
    multi_label: bool = False,
    dtype: Any = None,
) -> Any:
    """A sequence-classification model; ``labels`` set a new head (needed unless the model has one).

    ``dtype`` loads the weights in that dtype (training asks for fp32 master weights: transformers 5 otherwise
    keeps a bf16 or fp16 checkpoint's own dtype); None keeps the checkpoint's.

    ``multi_label`` makes the new head's ``problem_type`` multi_label_classification (sigmoid per label);
    a new head drops a multi-label base's problem type and decision thresholds otherwise.

    ``dropout`` builds every dropout layer with that rate (for training) while the saved config keeps
    the model's own rates, so a later fine-tune of the result starts from the original settings.
    """
    from transformers import AutoModelForSequenceClassification

    config = load_model_config(source)
    check_weights(source)
    if labels:
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
        if multi_label or config.problem_type == "multi_label_classification":
            config.problem_type = "multi_label_classification" if multi_label else None
        config.__dict__.pop("label_thresholds", None)  # a new head's thresholds are tuned by its own run
    original = _dropout_fields(config)
    if dropout is not None:
        for name in original:
            setattr(config, name, float(dropout))
    kwargs: dict[str, Any] = {"attn_implementation": attn_implementation} if attn_implementation else {}
    if dtype is not None:
        kwargs["dtype"] = dtype
    if not pickle_allowed():
        kwargs["use_safetensors"] = True  # transformers itself then never unpickles weights
    try:
        model = from_pretrained(AutoModelForSequenceClassification, source, config=config,
                                 ignore_mismatched_sizes=bool(labels), **kwargs)
    except pickle.UnpicklingError as exc:  # torch refused a global even in weights-only mode
        raise ModelError(f"The pickle weights of {source.display} hold more than plain tensors, so they are not "
                         "loaded even with --allow-pickle: convert the model to safetensors in a sandbox.") from exc
    if source.gguf_file:  # dequantised when loaded: it trains and saves like any model
        model.hf_quantizer.remove_quantization_config(model)
    if dropout is not None:
        import torch

        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = float(dropout)
        for name, value in original.items():
            setattr(model.config, name, value)
    if tokenizer is not None and tokenizer.pad_token_id is not None:  # pooling finds the tokenizer's padding
        model.config.pad_token_id = tokenizer.pad_token_id
    return model


def cached_hub_models(limit: int = 20) -> list[str]:
    """Ids of the models in the local Hugging Face cache that have a configuration (usable offline), newest first."""
    from huggingface_hub import scan_cache_dir

    try:
        repos = [repo for repo in scan_cache_dir().repos if repo.repo_type == "model"]
    except Exception:  # no cache yet, or one this process cannot read
        return []
    usable = [repo for repo in repos
              if any(f.file_name == "config.json" for revision in repo.revisions for f in revision.files)]
    return [repo.repo_id for repo in sorted(usable, key=lambda r: r.last_modified, reverse=True)[:limit]]


def load_model_config(source: ModelSource) -> Any:
    """The model's configuration only (cheap: no weights are read)."""
    from transformers import AutoConfig

    return from_pretrained(AutoConfig, source)


def _dropout_fields(config: Any) -> dict[str, float]:
    """The config's dropout rates by name (hidden_dropout_prob, attn_pdrop, seq_classif_dropout, ...)."""
    return {name: value for name, value in vars(config).items()
            if ("dropout" in name or "pdrop" in name) and isinstance(value, float) and not isinstance(value, bool)}


def model_labels(model: Any) -> list[str]:
    """Label names in id order from a model's config."""
    id2label = model.config.id2label or {}
    return [str(id2label[i]) for i in sorted(id2label, key=int)]


def describe_model(model: Any, source: ModelSource | None = None) -> dict[str, Any]:
    """Architecture facts for the Model tab: type, layers, heads, parameters, device, labels."""
    config = model.config
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None)
    hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd", None)
    parameters = sum(p.numel() for p in model.parameters())
    first = next(model.parameters())
    return {
        "name": source.display if source else getattr(config, "_name_or_path", ""),
        "source_kind": source.kind if source else None,
        "architecture": type(model).__name__,
        "model_type": config.model_type,
        "layers": layers,
        "heads": heads,
        "hidden_size": hidden,
        "parameters": parameters,
        "max_positions": getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None),
        "vocab_size": getattr(config, "vocab_size", None),
        "device": str(first.device),
        "dtype": str(first.dtype).replace("torch.", ""),
        "labels": model_labels(model),
    }
