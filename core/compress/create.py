"""A compressed run from a finished one: ``int8`` (quantized on load) or ``distil`` (a smaller student trained).

Both make a new run folder beside the parent, owned by the caller, tagged with the method, whose
``compression.json`` names the parent and the method; predict, evaluate, the attention views, the report and
the zip export read it like any run. An ``int8`` run is finished at once: the parent's model files are copied
with ``"tunescope_quantization": "int8"`` in ``model/config.json`` (``core.inference.quantized``), its
``metrics.json`` is the 8-bit model scored on the parent's own validation rows, and its card says so. A
``distil`` run is created in state 'created' with the parent's data and settings, ``model`` = the parent and
``RunConfig.distil`` = {teacher, layers} (``core.training.distil``); the caller starts or queues it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from core import runs
from core.config import parse_epochs
from core.errors import ConfigError, ModelError, RunError
from core.export.onnx_export import TRACE_TEXTS, export_graph, missing_onnx, quantize_onnx
from core.files import atomic_write
from core.inference.evaluate import evaluate_run
from core.inference.quantized import INT8, KEY, ONNX_FILE
from core.job import create_run, recipe_for
from core.job.create import fresh_folder
from core.modelref import RUN, ModelRef
from core.models import load_classifier, load_tokenizer
from core.runs.card import write_model_card
from core.runs.folder import now
from core.training.distil import layer_count
from core.training.recipe import FINETUNE

METHODS = ("int8", "distil")
COMPRESSION = "compression.json"
DEFAULT_LAYERS = 3
INT8_USAGE = """
## 8-bit

This folder holds the float weights of run {parent}, `"tunescope_quantization": "int8"` in `config.json` and, when
it could be written, `model.int8.onnx`: ONNX Runtime's 8-bit graph (`onnxruntime.quantization.quantize_dynamic`),
which TuneScope's predictions and scores run on. Without that graph TuneScope quantizes the linear layers with
PyTorch when it loads the folder (int8 weights with a scale per output channel, the output layer kept in float). To
run the graph in your own code:

```python
import onnxruntime, transformers
tokenizer = transformers.AutoTokenizer.from_pretrained(".")
session = onnxruntime.InferenceSession("model.int8.onnx")
encoded = tokenizer(["your text here"], return_tensors="np")
logits = session.run(None, {{i.name: encoded[i.name] for i in session.get_inputs()}})[0]
```
"""

def compressed_from(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's ``compression.json`` ({method, parent, ...}), or None for a run that was not compressed."""
    record = runs.read_json(Path(run_dir) / COMPRESSION)
    return record if isinstance(record, dict) and record.get("method") in METHODS else None


def require_finished(run_dir: Path) -> dict[str, Any]:
    """The model config of a finished run with a saved model; one sentence when it is not one."""
    state = runs.read_status(run_dir).get("state")
    model = runs.RunPaths(run_dir).model / "config.json"
    if state != "finished" or not model.is_file():
        raise RunError(f"Run {run_dir.name} is not finished ({state}), so it has no model to compress yet: wait for "
                       "it to finish, or resume it.")
    return json.loads(model.read_text(encoding="utf-8"))


def compress_run(run_dir: str | Path, method: str, runs_root: str | Path | None = None, *,
                 layers: int = DEFAULT_LAYERS, epochs: Any = "auto", owner: str | None = None,
                 progress: Any = None) -> Path:
    """The new run folder compressing the finished run ``run_dir`` by ``method`` ("int8" or "distil").

    The student keeps ``layers`` transformer layers and trains for ``epochs`` ("auto" by default: until the
    validation metric stops improving, as a student learns from soft labels longer than its teacher did). An int8
    run is finished and scored when this returns; a distil run is created, for the caller to start
    (``core.runs.start_run``, the app's queue, or ``core.job.run_training``)."""
    if method not in METHODS:
        raise ConfigError(f"Compression method must be one of {', '.join(METHODS)} (got '{str(method)[:40]}').")
    parent = runs.require_run(run_dir)
    model_config = require_finished(parent)
    if model_config.get(KEY):
        raise ConfigError(f"Run {parent.name} is already 8-bit: compress the run it was made from instead.")
    config = runs.load_config(parent)
    if recipe_for(config) is not FINETUNE:
        raise ConfigError(f"Run {parent.name} was trained with the SetFit recipe: compression works on runs of the "
                          "finetune recipe.")
    root = Path(runs_root) if runs_root is not None else parent.resolve().parent
    if method == INT8:
        return _int8_run(parent, config, root, owner, progress)
    return _distil_run(parent, config, model_config, root, (layers, epochs), owner)


def _share(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (the weights are the parent's: no second copy on disk; a later save
    of either writes a new file), or a copy where links are not possible. Files changed here are replaced through
    a rename, never written in place."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _record(folder: Path, parent: Path, method: str, **extra: Any) -> None:
    runs.write_json(folder / COMPRESSION, {"method": method, "parent": parent.name, "created_at": now(), **extra})
    runs.tag_run(folder, add=[f"compressed:{method}"], remove=[])


def _int8_run(parent: Path, config: Any, root: Path, owner: str | None, progress: Any) -> Path:
    folder = fresh_folder(root, f"{parent.name}-int8")
    try:
        runs.write_owner(folder, owner)
        model = runs.RunPaths(folder).model
        model.mkdir()
        for item in runs.RunPaths(parent).model.iterdir():
            if item.is_file() and not item.is_symlink():
                _share(item, model / item.name)
        raw = json.loads((model / "config.json").read_text(encoding="utf-8"))
        # a new file through a rename: the linked one stays the parent's
        atomic_write(model / "config.json", json.dumps({**raw, KEY: INT8}, indent=2) + "\n")
        config.resolved.update(precision="fp32", compressed_from=parent.name, compression=INT8)
        paths = runs.RunPaths(folder)
        config.save(paths.config)
        for name in ("data_report.json", "data_changes.json"):
            if (parent / name).is_file():
                shutil.copy2(parent / name, folder / name)
        runs.write_json(paths.status, {"state": "created", "updated_at": now(), "updated": time.time()})
        engine = write_int8_graph(folder, config)
        _record(folder, parent, INT8, engine=engine)
        report = evaluate_run(folder, progress=progress).report()
        report["compressed_from"] = parent.name
        runs.write_json(paths.metrics, report)
        card = write_model_card(folder, config, report, f"the 8-bit (int8) form of run {parent.name}")
        card.write_text(card.read_text(encoding="utf-8") + INT8_USAGE.format(parent=parent.name), encoding="utf-8")
        runs.write_json(paths.status, {"state": "finished", "updated_at": now(), "updated": time.time(),
                                       "message": f"8-bit copy of run {parent.name}."})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half-made run is left behind
        raise
    return folder


def write_int8_graph(folder: Path, config: Any) -> str:
    """ONNX Runtime's 8-bit graph of the run's model beside its weights (``model/model.int8.onnx``), which its
    predictions then run on; "pytorch" (PyTorch's 8-bit model answers) when the ``onnx`` extra is missing or the
    model cannot be exported."""
    if missing_onnx():
        return "pytorch"
    source = ModelRef(RUN, str(folder)).resolve()
    tokenizer = load_tokenizer(source)
    model = load_classifier(source, attn_implementation="eager").float().eval()  # the float weights
    pairs = TRACE_TEXTS[::-1] if config.data.text_pair_column else None
    sample = tokenizer(TRACE_TEXTS, pairs, padding=True, return_tensors="np")
    with tempfile.TemporaryDirectory(prefix="tunescope-int8-") as tmp:
        try:
            export_graph(model, dict(sample), Path(tmp) / "float.onnx")
        except ModelError:
            return "pytorch"
        quantize_onnx(Path(tmp) / "float.onnx", Path(tmp) / ONNX_FILE)
        shutil.move(str(Path(tmp) / ONNX_FILE), runs.RunPaths(folder).model / ONNX_FILE)
    return "onnxruntime"


def _distil_run(parent: Path, config: Any, model_config: dict[str, Any], root: Path, shape: tuple[Any, Any],
                owner: str | None) -> Path:
    layers, epochs = shape
    try:
        layers = int(layers)
    except (TypeError, ValueError):
        raise ConfigError(f"The student's layers must be a whole number (got '{str(layers)[:40]}').") from None
    total = layer_count(SimpleNamespace(**model_config))
    if not total:
        raise ConfigError(f"Run {parent.name}'s model does not say how many layers it has, so no student can be "
                          "taken from it.")
    if not 0 < layers < total:
        raise ConfigError(f"A student needs between 1 and {total - 1} layers (its teacher has {total}; got {layers}).")
    train = dataclasses.replace(config.train, lora=False, epochs=parse_epochs(epochs), max_steps=None)
    student = dataclasses.replace(config, train=train, model=ModelRef.from_admin(str(parent.resolve())),
                                  resolved={}, distil={"teacher": str(parent.resolve()), "layers": layers,
                                                       "teacher_layers": total, "parent": parent.name})
    folder = fresh_folder(root, f"{parent.name}-distil{layers}")
    try:
        create_run(student, run_dir=folder, owner=owner)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _record(folder, parent, "distil", layers=layers, teacher_layers=total)
    return folder
