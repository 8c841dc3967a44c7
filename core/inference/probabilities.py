"""Class probabilities for many labelled rows, computed the way a run's own evaluation computed them.

Evaluation must reproduce the numbers training recorded, so this runs the cached model itself (the
attention implementation training used on a CPU, eager), under the autocast precision the run trained
with (bf16 autocast over fp32 weights where the device has native bf16), and in the Trainer's batches
(rows sorted longest first, stably, ``max(batch_size, 64)`` rows each, padded to the longest row).
The row order of the input is kept: row ``i`` of the result is text ``i``. Prediction of texts typed
or uploaded in the Predict tab is ``core.inference.predict`` (a separate, faster SDPA copy whose
numbers differ in the last bits); scoring is ``core.inference.evaluation``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from core import devices
from core.config import PRECISIONS
from core.errors import ConfigError, DataError
from core.inference.loading import Loaded, prediction_model
from core.inference.predict import MAX_TOKENS, clean_text, length_batches
from core.inference.quantized import is_quantized

Progress = Callable[[int, int], Any]


def resolve_precision(precision: str | None, device: Any) -> str:
    """What runs on ``device``: "auto" is bf16 where it is native (AMX / AVX-512 BF16 CPUs, bf16 GPUs), else
    fp32; a precision the device cannot run (bf16 on an older CPU, fp16 off a GPU) falls back to fp32."""

    precision = precision or "auto"
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)} (got '{precision}').")
    kind = getattr(device, "type", str(device))
    bf16 = devices.cpu_supports_bf16() if kind == "cpu" else kind == "cuda" and devices.cuda_supports_bf16()
    if precision == "auto":
        return "bf16" if bf16 else "fp32"
    if (precision == "bf16" and not bf16) or (precision == "fp16" and kind != "cuda"):
        return "fp32"
    return precision


def autocast(device: Any, precision: str) -> Any:
    """The autocast context the Trainer evaluates under for ``precision`` (nothing for fp32)."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


def predict_probabilities(loaded: Loaded, texts: list[str], pairs: list[str] | None = None, batch_size: int = 64,
                          max_length: int = 512, progress: Progress | None = None, precision: str | None = "auto",
                          max_tokens: int | None = MAX_TOKENS) -> np.ndarray:
    """The ``n x k`` class probabilities of ``texts`` (and ``pairs``), row ``i`` for text ``i``: float32 softmax, or
    for a multi-label model each label's sigmoid in float64 (as its training evaluated it).

    Tokenized once to learn the lengths, then run longest first in batches of at most ``batch_size`` rows
    (and about ``max_tokens`` padded tokens, unless None) under ``torch.inference_mode``;
    ``progress(done, total)`` is called after each batch.
    """
    import torch

    if pairs is not None and len(pairs) != len(texts):
        raise DataError("Give one second text for every text (or none).")
    texts = [clean_text(t) for t in texts]
    pairs = [clean_text(p) for p in pairs] if pairs is not None else None
    # multi-label: float64 sigmoids of the logits, so decisions at the thresholds are those training made
    out = np.zeros((len(texts), len(loaded.labels)), dtype=np.float64 if loaded.multi_label else np.float32)
    if not texts:
        return out
    lengths = [len(ids) for ids in loaded.tokenizer(texts, pairs, truncation=True, max_length=max_length)["input_ids"]]
    device = next(loaded.model.parameters()).device
    model = loaded.model
    if is_quantized(model):  # an 8-bit run is scored by what predicts with it (its ONNX graph, if it has one)
        model, precision = prediction_model(loaded).model, "fp32"
    multiple = 8 if device.type == "cuda" else None  # the training's collator pads to a multiple of 8 on a GPU
    done = 0
    with torch.inference_mode(), autocast(device, resolve_precision(precision, device)):
        for index in length_batches(lengths, batch_size, max_tokens):
            encoded = loaded.tokenizer([texts[i] for i in index], [pairs[i] for i in index] if pairs else None,
                                       truncation=True, max_length=max_length, padding=True,
                                       pad_to_multiple_of=multiple, return_tensors="pt")
            logits = model(**encoded.to(device)).logits.float()
            out[index] = loaded.activate(logits.double() if loaded.multi_label else logits).cpu().numpy()
            done += len(index)
            if progress:
                progress(done, len(texts))
    return out
