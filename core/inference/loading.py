"""Load classifiers for inference, shared between requests: one cached copy per model files' version.

The cache is keyed by the model folder, the attention implementation and the modification times of
the folder's config and weight files, so a model saved again into the same folder is loaded afresh.
Pickle-only weights are refused unless the admin allowed them (``core.models.check_weights``).
It is locked (one lock for the table, one per model being loaded, so a slow load does not block
requests for other models), and cached models are never changed by a request: callers only run
forward passes on them. Loading leaves the process's global random state as it was.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.models import (
    ModelSource,
    load_classifier,
    load_tokenizer,
    model_labels,
    pickle_allowed,
    resolve_source,
)

CACHE_SIZE = 3  # e.g. a fine-tuned run and its base model side by side, plus one more
WEIGHT_PATTERNS = ("config.json", "*.safetensors", "*.bin", "tokenizer*.json")


@dataclass
class Loaded:
    """A model ready for inference, with its tokenizer and where it came from."""

    source: ModelSource
    model: Any
    tokenizer: Any
    labels: list[str]
    warnings: list[str] = field(default_factory=list)


_CACHE: OrderedDict[tuple[Any, ...], Loaded] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_LOADING: dict[tuple[Any, ...], threading.Lock] = {}


def files_stamp(location: str | Path) -> tuple[tuple[str, int], ...]:
    """(name, mtime in ns) of a model folder's config, weight and tokenizer files; empty for a hub id."""
    folder = Path(location)
    if not folder.is_dir():
        return ()
    files = {p for pattern in WEIGHT_PATTERNS for p in folder.glob(pattern)}
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in files))


def load_for_inference(model: str | None, attn_implementation: str = "eager") -> Loaded:
    """Load (or reuse) a classifier in eval mode; eager attention so attention weights are returned."""
    source = resolve_source(model)
    key = (source.location, attn_implementation, files_stamp(source.location), pickle_allowed())
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        loading = _LOADING.setdefault(key, threading.Lock())
    with loading:  # one load per model at a time; other models are not held up
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        loaded = _load(source, attn_implementation)
        with _CACHE_LOCK:
            _CACHE[key] = loaded
            _LOADING.pop(key, None)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        return loaded


def _load(source: ModelSource, attn_implementation: str) -> Loaded:
    import torch

    tokenizer = load_tokenizer(source)
    # a model without a trained head gets a fresh one: seed it so it is the same every time, inside
    # fork_rng so the process's own random state is restored afterwards
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        classifier = load_classifier(source, attn_implementation=attn_implementation, tokenizer=tokenizer)
    classifier.eval()
    for parameter in classifier.parameters():
        parameter.requires_grad_(False)  # shared between requests: nobody trains it in place
    warnings = []
    if source.kind in ("default", "hub", "folder") and not has_trained_head(source):
        warnings.append(
            f"{source.display} has no trained classification head: its predictions are random until you "
            "fine-tune it (Train tab or `python -m core train`)."
        )
    return Loaded(source, classifier, tokenizer, model_labels(classifier), warnings)


def has_trained_head(source: ModelSource) -> bool:
    """True when the model folder's config names a sequence-classification architecture."""
    try:
        config = json.loads((Path(source.location) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return any("ForSequenceClassification" in arch for arch in config.get("architectures") or [])
