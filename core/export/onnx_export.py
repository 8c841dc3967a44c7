"""Export a run's model to ONNX and prove it: onnxruntime must give PyTorch's probabilities to 1e-3.

``torch.onnx.export`` (the dynamo exporter, which needs onnxscript; the TorchScript exporter when it
fails) writes one ``model.onnx`` with inputs ``input_ids``, ``attention_mask`` (and ``token_type_ids``
when the tokenizer makes them), dynamic batch and sequence axes, and output ``logits``. The run's
validation rows (``core.training.datasets.load_frames``) are then run through both; the largest
absolute difference of the probabilities (softmax; each label's sigmoid for a multi-label model) is
reported and the export fails above :data:`TOLERANCE`. An 8-bit run (``core.inference.quantized``) exports the 8-bit graph it
serves (ONNX Runtime's dynamic quantization), checked against the 8-bit PyTorch model by the mean difference and
the share of equal labels (:data:`INT8_MEAN`, :data:`INT8_AGREEMENT`). The result is a zip holding ``<run-id>-onnx/``: ``model.onnx``, ``config.json``
(id2label), the tokenizer files, the model card and ``onnx_export.json`` (the check's figures).
optimum-onnx is not used: it pins transformers < 4.58. The plain zip export is ``core.export.archive``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.data import TEXT, TEXT_PAIR
from core.errors import ConfigError, DataError, ModelError, TuneScopeError
from core.export.archive import card_text, folder_name, model_files, require_model, write_zip
from core.inference.loading import is_multi_label
from core.inference.quantized import INT8, ONNX_FILE, quantization_of, quantize_int8
from core.modelref import RUN, ModelRef
from core.models import load_classifier, load_tokenizer
from core.training.datasets import load_frames

TOLERANCE = 1e-3
# an 8-bit run: ONNX Runtime's int8 kernels against PyTorch's quantize activations differently, so a row near a
# decision can move a lot; the check is on the mean difference and on the labels instead
INT8_MEAN, INT8_AGREEMENT = 0.02, 0.97
MAX_ROWS = 2000  # validation rows checked (the first ones, in the split's order)
FALLBACK_TEXTS = ["a wonderful, moving film", "dull and far too long", "I would not recommend it to anyone",
                  "the best meal I have had in years", "the match ended in a draw after extra time", "ok"]
TRACE_TEXTS = ["a short one", "a longer example sentence, with a few more words to trace the graph"]
SINGLE = "The probabilities are the softmax of the logits; the label is the most probable one."
MULTI = ("Multi-label: each label's probability is the sigmoid of its logit, and the label is chosen when it "
         "reaches its threshold in `label_thresholds` (`config.json`); none may be chosen.")
USAGE = """
## ONNX

`model.onnx` takes `{inputs}` (int64, shape batch x sequence) and returns `logits`; labels are
`id2label` in `config.json`. {decision} Checked against PyTorch on {rows} {where}: largest probability
difference {diff:.2e}.

```python
import onnxruntime, transformers
tokenizer = transformers.AutoTokenizer.from_pretrained("{folder}")
session = onnxruntime.InferenceSession("{folder}/model.onnx")
encoded = tokenizer(["your text here"], return_tensors="np")
logits = session.run(None, {{i.name: encoded[i.name] for i in session.get_inputs()}})[0]
```
"""


def missing_onnx() -> list[str]:
    """The packages of the ``onnx`` extra (onnx, onnxruntime, onnxscript) that are not installed."""
    return [name for name in ("onnx", "onnxruntime", "onnxscript") if importlib.util.find_spec(name) is None]


def require_onnx() -> None:
    """A one-sentence ConfigError when onnx, onnxruntime or onnxscript is not installed."""
    missing = missing_onnx()
    if missing:
        raise ConfigError(f"ONNX export needs {', '.join(missing)}: pip install 'tunescope[onnx]'.")


def _validation_rows(run_dir: Path) -> tuple[list[str], list[str] | None, str]:
    """Texts (and second texts) to check the export on, and what they are."""

    try:
        frame = load_frames(runs.load_config(run_dir))[1].head(MAX_ROWS)
    except (TuneScopeError, OSError) as exc:
        return FALLBACK_TEXTS, None, f"built-in sentences (the validation rows could not be read: {exc})"
    pairs = frame[TEXT_PAIR].astype(str).tolist() if TEXT_PAIR in frame.columns else None
    return frame[TEXT].astype(str).tolist(), pairs, "validation rows"


def _logits_module(model: Any, names: list[str]) -> Any:
    """``model`` as a module taking ``names`` positionally and returning only the logits."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs, strict=True))).logits

    return Logits().eval()


def export_graph(model: Any, encoded: dict[str, Any], path: Path) -> str:
    """Write ``model`` as ONNX to ``path`` (one file); returns the exporter used ('dynamo' or 'torchscript')."""
    import torch

    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in encoded]
    module, args = _logits_module(model, names), tuple(torch.as_tensor(encoded[n]) for n in names)
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    try:
        with _quiet(), torch.no_grad():
            torch.onnx.export(module, args, str(path), input_names=names, output_names=["logits"],
                              dynamic_shapes=(tuple({0: batch, 1: sequence} for _ in names),), dynamo=True,
                              external_data=False)
        return "dynamo"
    except Exception as first:  # the TorchScript exporter handles some models dynamo cannot trace
        axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "logits"]}
        try:
            with _quiet(), torch.no_grad():
                torch.onnx.export(module, args, str(path), input_names=names, output_names=["logits"],
                                  dynamic_axes=axes, dynamo=False)
            return "torchscript"
        except Exception as second:
            raise ModelError(f"torch.onnx.export cannot export this model ({type(first).__name__}: "
                             f"{str(first).splitlines()[0][:200]}; then {type(second).__name__}): use --format zip.") from second


@contextlib.contextmanager
def _quiet() -> Any:
    """Keep the exporter's progress prints, warnings and log lines out of the command's output."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def parity(model: Any, tokenizer: Any, onnx_path: Path, texts: list[str], pairs: list[str] | None,
           max_length: int, batch_size: int = 32) -> tuple[float, float, float]:
    """(largest and mean absolute difference, share of equal top labels) between PyTorch's and onnxruntime's
    probabilities on ``texts`` (softmax, or each label's sigmoid for a multi-label model)."""
    activate = _sigmoid if is_multi_label(model.config) else _softmax
    import onnxruntime
    import torch

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, torch.get_num_threads())
    session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    wanted = [i.name for i in session.get_inputs()]
    worst, total, agree, cells = 0.0, 0.0, 0, 0
    for start in range(0, len(texts), batch_size):
        chunk_pairs = pairs[start:start + batch_size] if pairs else None
        encoded = tokenizer(texts[start:start + batch_size], chunk_pairs, truncation=True, max_length=max_length,
                            padding=True, return_tensors="np")
        feed = {name: encoded[name].astype(np.int64) for name in wanted}
        ours = session.run(["logits"], feed)[0]
        with torch.inference_mode():
            theirs = model(**{k: torch.as_tensor(v) for k, v in encoded.items()}).logits.float().numpy()
        gap = np.abs(activate(ours) - activate(theirs))
        worst, total, cells = max(worst, float(gap.max())), total + float(gap.sum()), cells + gap.size
        agree += int((ours.argmax(-1) == theirs.argmax(-1)).sum())
    return worst, total / max(1, cells), agree / max(1, len(texts))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits))


def export_onnx(run_dir: str | Path, output: str | Path | None = None, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Export ``RUN/model`` to ONNX, check it on the validation rows, zip it (default ``./<run-id>-onnx.zip``)."""
    require_onnx()
    run_dir = require_model(run_dir)

    source = ModelRef(RUN, str(run_dir)).resolve()
    tokenizer = load_tokenizer(source)
    model = load_classifier(source, attn_implementation="eager").float().eval()
    max_length = runs.load_config(run_dir).train.max_length
    texts, pairs, where = _validation_rows(run_dir)
    if not texts:
        raise DataError(f"Run {run_dir.name} has no validation rows to check the ONNX model on.")
    folder = folder_name(run_dir, "-onnx")
    output = Path(output) if output else Path.cwd() / f"{folder}.zip"
    with tempfile.TemporaryDirectory(prefix="tunescope-onnx-") as tmp:
        onnx_path = Path(tmp) / "model.onnx"
        sample = tokenizer(TRACE_TEXTS, TRACE_TEXTS[::-1] if pairs else None, padding=True, return_tensors="np")
        eight = quantization_of(model.config) == INT8
        exporter = int8_graph(run_dir, model, sample, onnx_path) if eight else export_graph(model, dict(sample), onnx_path)
        diff, mean, agree = parity(quantize_int8(model) if eight else model, tokenizer, onnx_path, texts, pairs,
                                   max_length)
        info = {**_info(onnx_path, exporter, diff, len(texts), where, tolerance), "mean_abs_diff": mean,
                "label_agreement": agree}
        if eight and (mean > INT8_MEAN or agree < INT8_AGREEMENT):
            raise ModelError(f"The 8-bit ONNX model agrees with PyTorch's 8-bit model on {agree:.1%} of {where} "
                             f"(mean probability difference {mean:.2e}): the export is not faithful, use --format zip.")
        if diff > tolerance and not eight:
            raise ModelError(f"The ONNX model's probabilities differ from PyTorch's by up to {diff:.2e} on {where} "
                             f"(limit {tolerance:g}): the export is not faithful for this model, use --format zip.")
        card = (card_text(run_dir, folder, usage=False) or f"# {folder}\n") + USAGE.format(
            inputs="`, `".join(info["inputs"]), rows=len(texts), where=where, diff=diff, folder=folder,
            decision=MULTI if is_multi_label(model.config) else SINGLE)
        files = [onnx_path, *model_files(run_dir, weights=False)]
        write_zip(output, folder, files, {"README.md": card, "onnx_export.json": json.dumps(info, indent=2)})
    return {"format": "onnx", "output": str(output), "folder": folder, "bytes": output.stat().st_size, **info}


def quantize_onnx(path: Path, output: Path) -> None:
    """ONNX Runtime's dynamic quantization of the graph at ``path`` into ``output``: int8 weights, one scale per
    output channel. Per tensor was faster (model call 2.4 against 3.3 ms) but lost up to 1.4 points of SST-2 accuracy
    on a second fine-tuned parent (per channel: 0.0 dev, -0.7 test there; bench/README.md)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the graph is logged on the root logger
    try:
        with _quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(path), str(output), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def int8_graph(run_dir: Path, model: Any, sample: Any, onnx_path: Path) -> str:
    """An 8-bit run's ONNX graph at ``onnx_path``: the one it serves (``model/model.int8.onnx``), else the float
    graph exported and quantized now; returns how it was made."""
    served = runs.RunPaths(run_dir).model / ONNX_FILE
    if served.is_file():
        shutil.copyfile(served, onnx_path)
        return "onnxruntime int8 (the graph the run serves)"
    float_path = onnx_path.with_name("float.onnx")
    exporter = export_graph(model, dict(sample), float_path)
    quantize_onnx(float_path, onnx_path)
    float_path.unlink()
    return f"{exporter} + onnxruntime int8"


def _info(onnx_path: Path, exporter: str, diff: float, rows: int, where: str, tolerance: float) -> dict[str, Any]:
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False)
    opset = max((o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")), default=None)
    return {"exporter": exporter, "opset": opset, "inputs": [i.name for i in graph.graph.input],
            "outputs": [o.name for o in graph.graph.output], "onnx_bytes": onnx_path.stat().st_size,
            "checked_rows": rows, "checked_on": where, "max_abs_diff": diff, "tolerance": tolerance}
