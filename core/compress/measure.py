"""A compressed run against its parent, measured together on this machine: accuracy, macro-F1 (the runs'
``metrics.json``, both scored on the same validation rows), single-text latency (p50 and p90 of
``predict_texts`` on one text at a time, tokenization included, the two models alternating so a busy machine
slows both alike), throughput (texts per second in batches of 32), size (the float model's weight files; for an
8-bit model the bytes of its quantized state) and layers. Kept in the compressed run's ``compression.json``
under ``measured``, keyed by both models' file times, so it is measured again only when a model changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core import runs
from core.compress.create import COMPRESSION, compressed_from
from core.errors import RunError
from core.inference.evaluate import validation_frame
from core.inference.loading import files_stamp, load_for_inference
from core.inference.predict import predict_texts
from core.inference.quantized import ONNX_FILE, is_quantized, quantized_bytes
from core.training.distil import layer_count

SINGLE_TEXTS = 60  # single-text predictions timed per model
BATCH_TEXTS = 256  # texts in the throughput measure
FALLBACK = ["a wonderful, moving film that stays with you", "dull and far too long", "ok", "我很喜欢这部电影",
            "the service was slow but the food made up for it"]

Progress = Callable[[int, int], Any]


def timing_texts(run_dir: Path) -> list[str]:
    """The validation texts to time on (their real lengths), else built-in sentences."""
    try:
        texts = validation_frame(runs.load_config(run_dir), run_dir.name)["text"].astype(str).tolist()
    except Exception:  # the data file is gone: latency is still worth measuring
        texts = []
    return texts or FALLBACK


def model_bytes(loaded: Any, run_dir: Path) -> int:
    if is_quantized(loaded.model):  # what answers: the ONNX graph when the run has one
        graph = runs.RunPaths(run_dir).model / ONNX_FILE
        return graph.stat().st_size if graph.is_file() else quantized_bytes(loaded.model)
    return sum(p.stat().st_size for p in runs.RunPaths(run_dir).model.glob("*.safetensors"))


def _row(run_dir: Path, loaded: Any, times: list[float], per_second: float) -> dict[str, Any]:
    metrics = runs.read_json(runs.RunPaths(run_dir).metrics, {}) or {}
    size = model_bytes(loaded, run_dir)
    return {"run": run_dir.name, "accuracy": metrics.get("accuracy"), "f1_macro": metrics.get("f1_macro"),
            "p50_ms": round(float(np.percentile(times, 50)) * 1000, 2),
            "p90_ms": round(float(np.percentile(times, 90)) * 1000, 2),
            "texts_per_second": round(per_second, 1), "size_mb": round(size / 1e6, 1), "size_bytes": size,
            "layers": layer_count(loaded.model.config), "int8": is_quantized(loaded.model)}


def timings(models: list[Any], texts: list[str], progress: Progress | None,
             samples: int = SINGLE_TEXTS) -> tuple[list[list[float]], list[float]]:
    singles: list[list[float]] = [[] for _ in models]
    for model in models:  # warm-up: first calls build kernels and caches
        predict_texts(model, texts[:2], precision="auto")
    total = samples * len(models)
    for i in range(samples):
        for j, model in enumerate(models):
            text = texts[i % len(texts)]
            start = time.perf_counter()
            predict_texts(model, [text], precision="auto")
            singles[j].append(time.perf_counter() - start)
            if progress:
                progress(i * len(models) + j + 1, total)
    batch = [texts[i % len(texts)] for i in range(BATCH_TEXTS)]
    rates = []
    for model in models:
        start = time.perf_counter()
        predict_texts(model, batch, batch_size=32, precision="auto")
        rates.append(len(batch) / (time.perf_counter() - start))
    return singles, rates


def side_by_side(run_dir: str | Path, progress: Progress | None = None, again: bool = False,
                 samples: int = SINGLE_TEXTS) -> dict[str, Any]:
    """{method, parent, rows: [parent, compressed], speedup, accuracy_change (points), size_ratio, sentence};
    ``samples`` single-text predictions are timed per model."""
    folder = runs.require_run(run_dir)
    record = compressed_from(folder)
    if record is None:
        raise RunError(f"Run {folder.name} was not made by compressing another run: compress a finished run first.")
    parent = folder.parent / record["parent"]
    if not runs.RunPaths(parent).model.is_dir():
        raise RunError(f"Run {record['parent']}, which run {folder.name} was compressed from, is gone, so the two "
                       "cannot be compared.")
    if not runs.RunPaths(folder).model.is_dir():
        raise RunError(f"Run {folder.name} has no model yet: wait for it to finish.")
    key = [list(map(list, files_stamp(runs.RunPaths(p).model))) for p in (parent, folder)]
    measured = record.get("measured")
    if not again and isinstance(measured, dict) and measured.get("key") == key:
        return measured
    models = [load_for_inference(str(parent)), load_for_inference(str(folder))]
    singles, rates = timings(models, timing_texts(parent), progress, samples)
    rows = [_row(p, m, t, r) for p, m, t, r in zip((parent, folder), models, singles, rates, strict=True)]
    result = {"method": record["method"], "parent": parent.name, "run": folder.name, "rows": rows, "key": key,
              **comparison(rows[0], rows[1])}
    runs.write_json(folder / COMPRESSION, {**record, "measured": result})
    return result


def comparison(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Speed-up (parent p50 / compressed p50), accuracy change in points, size ratio and one sentence."""
    speedup = parent["p50_ms"] / child["p50_ms"] if child["p50_ms"] else None
    change = None
    if parent.get("accuracy") is not None and child.get("accuracy") is not None:
        change = round((child["accuracy"] - parent["accuracy"]) * 100, 1)
    size = child["size_bytes"] / parent["size_bytes"] if parent["size_bytes"] else None
    sentence = (f"{speedup:.1f}x faster on one text ({child['p50_ms']:.1f} ms against {parent['p50_ms']:.1f} ms), "
                f"{size:.0%} of the size" if speedup and size else "Measured")
    if change is not None:
        sentence += f", accuracy {change:+.1f} points."
    return {"speedup": round(speedup, 2) if speedup else None, "accuracy_change": change,
            "size_ratio": round(size, 3) if size else None, "sentence": sentence}
