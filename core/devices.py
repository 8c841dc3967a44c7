"""Where a run computes and in what precision: the device (CUDA, Apple MPS or the CPU) and bf16/fp16/fp32.

For training (``core.training.arguments``, ``core.job.preflight``), which refuses a device or precision
the machine lacks with one sentence, and for inference, which asks whether the CPU has native bf16
(``core.inference.loading``, ``core.inference.probabilities``). Leaves out loading models (``core.models``).
"""

from __future__ import annotations

import functools

from core.errors import ModelError


@functools.lru_cache(maxsize=1)
def cpu_supports_bf16() -> bool:
    """True when the CPU has native bf16 matmuls (AVX-512 BF16 or AMX)."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return False


def pick_device(preference: str = "auto") -> str:
    """'cuda', 'mps' or 'cpu': the requested one if present, else the best available."""
    import torch

    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' was requested but no CUDA GPU is visible: choose 'auto' or 'cpu'.")
    if preference == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ModelError("device 'mps' was requested but Apple MPS is not available: choose 'auto' or 'cpu'.")
    if preference != "auto":
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(device: str, preference: str = "auto") -> str:
    """'bf16', 'fp16' or 'fp32' for training on ``device``."""

    if preference != "auto":
        if preference == "bf16" and device == "cpu" and not cpu_supports_bf16():
            raise ModelError("bf16 was requested but this CPU has no native bf16: choose 'auto' or 'fp32'.")
        if preference == "fp16" and device == "cpu":
            raise ModelError("fp16 was requested but training on the CPU has no fp16 mixed precision: choose 'auto', "
                             "'fp32' or, on a CPU with native bf16, 'bf16'.")
        return preference
    if device == "cuda":
        return "bf16" if cuda_supports_bf16() else "fp16"
    if device == "cpu" and cpu_supports_bf16():
        return "bf16"
    return "fp32"


def cuda_supports_bf16() -> bool:
    """Whether the current GPU computes bf16 natively (Ampere and later); older GPUs emulate it slowly, where
    torch's default answer would still say yes."""
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))


def release_device_memory() -> None:
    """Give a finished training's accelerator memory back (collected objects, the CUDA allocator's cache), so the
    next run queued for the device never finds it taken by work that already ended."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


INFERENCE_DEVICE = "TUNESCOPE_INFERENCE_DEVICE"  # the admin's choice (app.py --inference-device), read on each load


def inference_device() -> str:
    """Where loaded models predict, explain and draw attention: ``$TUNESCOPE_INFERENCE_DEVICE`` ('auto': a GPU when
    there is one, else Apple MPS, else the CPU; or 'cpu', 'cuda', 'mps'); a ModelError for one this machine lacks."""
    import os

    return pick_device((os.environ.get(INFERENCE_DEVICE) or "auto").strip().lower())
