"""Load classifiers for inference, shared between requests: one cached copy per model files' version.

The cache is keyed by the model folder, the attention implementation and the modification times of
the folder's config and weight files, so a model saved again into the same folder is loaded afresh.
Pickle-only weights are refused unless the admin allowed them (``core.models.check_weights``). A model is
loaded onto the inference device (``core.devices.inference_device``: a GPU when there is one, unless the admin
chose otherwise); every consumer moves its inputs to the model's device.
It is locked (one lock for the table, one per model being loaded, so a slow load does not block
requests for other models), and cached models are never changed by a request: callers only run
forward passes on them. Loading leaves the process's global random state as it was.

A multi-label model is known from its own ``config.json`` only (``problem_type`` =
"multi_label_classification", with the decision thresholds tuned on the validation set under
``label_thresholds``), so a model folder, a run and an unzipped export behave alike:
:meth:`Loaded.activate` turns logits into sigmoid probabilities for it, softmax for a single-label one.

Prediction runs on a private copy of a cached model (:func:`prediction_model`, built once per loaded
model and kept with it): SDPA attention (the cached model keeps eager attention, which the Attention
tab needs for its weights) and, on CPUs with native bf16 matmuls (AVX-512 BF16 or AMX) and bf16 GPUs, the
weights of its linear layers stored in bf16 and run under bf16 autocast: the numbers of autocast over fp32
weights, without casting every weight on every call. Nothing here changes torch's thread count.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.devices import cpu_supports_bf16, cuda_supports_bf16, inference_device
from core.errors import ConfigError
from core.inference.quantized import INT8, is_quantized, onnx_classifier, quantization_of, quantize_int8
from core.modelref import ModelLike, ModelSource, source_of
from core.models import load_classifier, load_tokenizer, model_labels, pickle_allowed

CACHE_SIZE = 3  # e.g. a fine-tuned run and its base model side by side, plus one more
WEIGHT_PATTERNS = ("config.json", "*.safetensors", "*.bin", "tokenizer*.json")
PRECISIONS = ("auto", "bf16", "fp32")
MULTI_LABEL = "multi_label_classification"
DEFAULT_THRESHOLD = 0.5  # a multi-label label without a tuned threshold


@dataclass(frozen=True)
class Predictor:
    """A prediction-only copy of a loaded model; run it inside :meth:`context` (bf16 autocast, or nothing)."""

    model: Any
    precision: str  # what actually runs: "bf16", "fp32" or "int8" (a quantized model)
    device: Any

    def context(self) -> Any:
        import torch

        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


@dataclass
class Loaded:
    """A model ready for inference, with its tokenizer and where it came from."""

    source: ModelSource
    model: Any
    tokenizer: Any
    labels: list[str]
    warnings: list[str] = field(default_factory=list)
    copies: dict[str, Predictor] = field(default_factory=dict, repr=False, compare=False)  # by precision
    chosen: dict[str, Predictor] = field(default_factory=dict, repr=False, compare=False)  # by precision asked

    @property
    def multi_label(self) -> bool:
        """True for a model whose config says ``problem_type = "multi_label_classification"``."""
        return is_multi_label(self.model.config)

    @property
    def thresholds(self) -> list[float]:
        """Per-label decision thresholds in label order (multi-label; 0.5 where the config has none)."""
        return config_thresholds(self.model.config, self.labels)

    def activate(self, logits: Any) -> Any:
        """Probabilities from a float logits tensor: sigmoid per label (multi-label), else softmax over labels."""
        import torch

        return torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)


def is_multi_label(config: Any) -> bool:
    """True when a model config's ``problem_type`` is multi-label classification."""
    return getattr(config, "problem_type", None) == MULTI_LABEL


def config_thresholds(config: Any, labels: list[str]) -> list[float]:
    """The config's ``label_thresholds`` ({label: threshold}) in ``labels`` order, 0.5 for a label it lacks."""
    stored = getattr(config, "label_thresholds", None)
    stored = stored if isinstance(stored, dict) else {}
    values = []
    for label in labels:
        try:
            value = float(stored.get(label, DEFAULT_THRESHOLD))
        except (TypeError, ValueError):
            value = DEFAULT_THRESHOLD
        values.append(value if 0.0 <= value <= 1.0 else DEFAULT_THRESHOLD)
    return values


_CACHE: OrderedDict[tuple[Any, ...], Loaded] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_LOADING: dict[tuple[Any, ...], threading.Lock] = {}
_COPY_LOCK = threading.Lock()


def files_stamp(location: str | Path) -> tuple[tuple[str, int], ...]:
    """(name, mtime in ns) of a model folder's config, weight and tokenizer files; empty for a hub id."""
    folder = Path(location)
    if not folder.is_dir():
        return ()
    files = {p for pattern in WEIGHT_PATTERNS for p in folder.glob(pattern)}
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in files))


def load_for_inference(model: ModelLike, attn_implementation: str = "eager") -> Loaded:
    """Load (or reuse) a classifier in eval mode; eager attention so attention weights are returned.

    ``model``: a resolved ``ModelSource``, a ``ModelRef``, or the admin's text ('default', a hub id, a folder,
    a run folder; ``core.modelref``)."""
    source = source_of(model)
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
    if quantization_of(classifier.config) == INT8:  # a run compressed to 8 bits (core.inference.quantized)
        classifier = quantize_int8(classifier)  # CPU kernels: it stays on the CPU
    else:
        classifier.to(inference_device())  # every consumer feeds the model's own device
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


def prediction_model(loaded: Loaded, precision: str = "auto") -> Predictor:
    """The prediction-only copy of ``loaded.model``: built on first use, then shared and never changed.

    ``precision``: "auto" (bf16 on a CPU with native bf16, else fp32), "bf16" or "fp32" (exact).
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)} (got '{precision}').")
    known = loaded.chosen.get(precision)
    if known is not None:  # the model never changes, so neither does the answer: no walk over its modules per call
        return known
    device = next(loaded.model.parameters()).device
    native = cpu_supports_bf16() if device.type == "cpu" else device.type == "cuda" and cuda_supports_bf16()
    wanted = "bf16" if precision == "bf16" or (precision == "auto" and native) else "fp32"
    if is_quantized(loaded.model):
        wanted = "int8"  # its int8 layers are the point: no bf16 copy
    with _COPY_LOCK:  # one copy per precision, however many requests arrive together
        if wanted not in loaded.copies:
            loaded.copies[wanted] = _prediction_copy(loaded, wanted, device)
        loaded.chosen[precision] = loaded.copies[wanted]
        return loaded.copies[wanted]


def _int8_copy(loaded: Loaded, model: Any, device: Any) -> Predictor:
    """An 8-bit run's predictor: its ONNX Runtime graph when it has one that answers, else the PyTorch 8-bit copy."""
    import torch

    graph = onnx_classifier(Path(loaded.source.location), loaded.model.config)
    if graph is not None:
        try:
            with torch.inference_mode():
                graph(**loaded.tokenizer(["a b"], return_tensors="pt"))
            return Predictor(graph, "int8", torch.device("cpu"))
        except Exception:  # a graph that does not take this tokenizer's inputs: PyTorch answers
            pass
    return Predictor(model, "int8", device)


def _prediction_copy(loaded: Loaded, precision: str, device: Any) -> Predictor:
    """A deep copy with SDPA attention (where the architecture has it) and, for bf16, bf16 linear weights."""
    import torch

    if precision == "fp32" and getattr(loaded.model.config, "_attn_implementation", None) == "sdpa":
        return Predictor(loaded.model, "fp32", device)  # already what prediction needs: no copy
    model = copy.deepcopy(loaded.model)
    with contextlib.suppress(ValueError, ImportError, AttributeError, NotImplementedError):
        model.set_attn_implementation("sdpa")  # else this architecture keeps eager attention: still exact
    if precision == "int8":
        return _int8_copy(loaded, model, device)
    if precision == "fp32":
        return Predictor(model, precision, device)
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)  # autocast would cast these on every call: cast them once
    predictor = Predictor(model, "bf16", device)
    try:  # an architecture mixing dtypes in a way autocast does not cover falls back to fp32
        probe = loaded.tokenizer(["a b"], return_tensors="pt").to(device)
        with torch.inference_mode(), predictor.context():
            model(**probe)
    except (RuntimeError, TypeError, ValueError):
        return _prediction_copy(loaded, "fp32", device)
    return predictor
