"""8-bit models: a run compressed to int8 (``core.compress``) is quantized when it is loaded.

The model folder keeps its float weights (safetensors, which ``transformers.pipeline`` and a later fine-tune
read) and says ``"tunescope_quantization": "int8"`` in its ``config.json``. Loading for inference
(``core.inference.loading``) then replaces its linear layers by PyTorch's dynamically quantized ones
(``torch.ao.quantization.quantize_dynamic``: int8 weights with a scale per output channel, activations quantized
per batch on the fly; x86 CPUs through fbgemm; the output layer stays float): prediction, evaluation, reports and
the attention weights all come from the 8-bit model. When the run also holds ONNX Runtime's 8-bit graph
(:data:`ONNX_FILE`, written by ``core.compress``; ``onnxruntime`` installed), predictions and scores run on that
graph instead (:class:`OnnxClassifier`: 2-4x faster for one text on a CPU), and the PyTorch model answers only what
needs its insides (attention weights, hidden states). Dynamic quantization quantizes the weights when it is
applied, so storing int8 weights would only move that work; what the 8-bit model weighs is measured by
:func:`quantized_bytes`. Quantized layers have no gradients: integrated gradients refuse such a model
(:func:`require_gradients`) and name the parent run instead. GPT-2's ``Conv1D`` layers are not ``nn.Linear``
and stay float.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from core.errors import ModelError
from core.models import QUANTIZATION_KEY

KEY = QUANTIZATION_KEY  # in the model's config.json
INT8 = "int8"


def quantization_of(config: Any) -> str | None:
    """The quantization a model's config asks for ("int8"), or None for a float model."""
    value = getattr(config, KEY, None)
    return value if value == INT8 else None


def quantize_int8(model: Any) -> Any:
    """``model`` (in eval mode, on the CPU) with its linear layers dynamically quantized to int8, in place.

    Weights are quantized per output channel (a scale per row), and the output layer (one output per label)
    stays in float: on SST-2's test set (default model fine-tuned on 3,000 rows, 1,821 test rows) one scale per
    layer cost 1.3 points of accuracy (0.8731 -> 0.8605), a scale per channel 0.05 (0.8726).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    if next(model.parameters()).device.type != "cpu":
        model = model.to("cpu")  # fbgemm's quantized kernels are CPU kernels
    labels = int(getattr(model.config, "num_labels", 0) or 0)
    chosen = {name: per_channel_dynamic_qconfig for name, module in model.named_modules()
              if isinstance(module, torch.nn.Linear) and module.out_features != labels}
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, chosen, dtype=torch.qint8, inplace=True)


def is_quantized(model: Any) -> bool:
    """True when ``model`` holds dynamically quantized linear layers."""
    from torch.ao.nn.quantized import dynamic

    return any(isinstance(module, dynamic.Linear) for module in model.modules())


def quantized_bytes(model: Any) -> int:
    """Bytes of ``model``'s state (int8 packed weights and scales, the float rest) as ``torch.save`` writes it."""
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return len(buffer.getvalue())


def require_gradients(model: Any, what: str = "Integrated gradients") -> None:
    """A ModelError when ``model`` is quantized: its int8 layers have no gradients to follow."""
    if is_quantized(model):
        raise ModelError(f"{what} need the model's gradients, and an 8-bit (int8) model has none: explain the run "
                         "it was compressed from instead.")


ONNX_FILE = "model.int8.onnx"  # beside the float weights: ONNX Runtime's 8-bit graph, when it could be written


class OnnxClassifier:
    """An ONNX Runtime session answering like a transformers classifier: ``model(**batch).logits`` (a torch
    tensor on the CPU), ``model.config``; what predictions of an 8-bit run run on when its graph exists."""

    def __init__(self, path: Path, config: Any) -> None:
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, torch.get_num_threads())
        # no busy-waiting between calls: spinning threads would take the CPU from everything else the server runs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.config = config

    def __call__(self, **batch: Any) -> Any:
        import numpy as np
        import torch

        feed = {name: np.asarray(batch[name].cpu(), dtype=np.int64) for name in self.inputs}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))

    def parameters(self) -> Any:
        import torch

        yield torch.zeros(0)  # the CPU, for callers that read a model's device


def onnx_classifier(folder: Path, config: Any) -> OnnxClassifier | None:
    """The 8-bit ONNX graph in ``folder`` as a classifier, or None without one (or without onnxruntime)."""
    if not (Path(folder) / ONNX_FILE).is_file() or importlib.util.find_spec("onnxruntime") is None:
        return None
    try:
        return OnnxClassifier(Path(folder) / ONNX_FILE, config)
    except Exception:  # a damaged or foreign graph: the PyTorch 8-bit model answers instead
        return None
