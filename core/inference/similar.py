"""Similar training examples: the training rows of a run whose texts its fine-tuned model sees as closest.

A run's optional ``index/`` folder holds ``embeddings.npy`` (float16, one L2-normalised row per
training example: the mean over real tokens of the fine-tuned encoder's last hidden states),
``rows.jsonl`` (text, optional text_pair, label, in the same order) and ``meta.json`` (how it was
built). The training child writes it after saving ``model/`` (``core.job.outputs``); ``build_index``
writes it for older runs too (``python -m core index RUN``). It is written aside and renamed into
place, so it is complete or absent. A query is embedded the same way (same model copy, pooling and
max_length) and compared with every row by one float32 matrix product. Leaves out: approximate
search (50,000 rows take milliseconds) and choosing which runs get an index.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core.data import LABEL, TEXT, TEXT_PAIR
from core.errors import ConfigError, DataError, ModelError, RunError
from core.files import partial_of, swap_folder
from core.inference.labelsets import SEPARATOR
from core.inference.loading import Loaded, load_for_inference
from core.inference.predict import clean_text, run_batches
from core.runs.folder import load_config, require_run
from core.training.datasets import load_frames

INDEX = "index"
EMBEDDINGS, ROWS, META = "embeddings.npy", "rows.jsonl", "meta.json"
MAX_ROWS = 50_000  # training rows indexed at most (a seeded sample of larger sets): bounds time and memory
Progress = Callable[[int, int], Any]

_INDEXES: OrderedDict[tuple[str, int], tuple[np.ndarray, list[dict[str, Any]], dict[str, Any]]] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_INDEX_CACHE = 2


def index_folder(run_dir: str | Path) -> Path:
    """The run's ``index/`` folder (it may not exist: runs trained before it existed have none)."""
    return Path(run_dir) / INDEX


def embed(loaded: Loaded, texts: list[Any], pairs: list[Any] | None = None, batch_size: int = 64,
          max_length: int = 512, progress: Progress | None = None) -> np.ndarray:
    """``n x hidden`` float32: L2-normalised mean over real tokens of the encoder's last hidden states."""
    import torch

    def pooled(model: Any, batch: dict[str, Any]) -> Any:
        hidden = model.base_model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return torch.nn.functional.normalize(mean, dim=-1)

    width = int(loaded.model.config.hidden_size)
    return run_batches(loaded, texts, pairs, pooled, width, batch_size, max_length, progress=progress)


def progress_lines(what: str = "similar-examples index") -> Progress:
    """A ``progress(done, total)`` that prints about ten lines to stderr (the training log, the CLI)."""
    shown = [0]

    def progress(done: int, total: int) -> None:
        if done - shown[0] >= max(1, total // 10) or done == total:
            shown[0] = done
            print(f"{what}: {done}/{total} training rows", file=sys.stderr, flush=True)

    return progress


def build_index(run_dir: str | Path, frame: Any = None, *, max_rows: int = MAX_ROWS, batch_size: int = 64,
                progress: Progress | None = None) -> dict[str, Any]:
    """Write ``run_dir/index/`` from the run's saved model and its training rows (``frame``, else read again
    from the run's data file and split as in training); returns what ``meta.json`` records."""

    run_dir = require_run(run_dir).resolve()
    config = load_config(run_dir)
    loaded = load_for_inference(str(run_dir))
    if frame is None:
        try:
            frame = load_frames(config)[0]
        except DataError as exc:
            raise RunError(f"The similar-examples index of run {run_dir.name} is built from its training data, "
                           f"which cannot be read: {exc}") from exc
    total = len(frame)
    if total > max_rows:  # a seeded, evenly spread sample, kept in file order
        frame = frame.iloc[np.sort(np.random.default_rng(0).choice(total, max_rows, replace=False))]
    texts = [clean_text(t) for t in frame[TEXT].tolist()]
    pairs = [clean_text(p) for p in frame[TEXT_PAIR].tolist()] if TEXT_PAIR in frame.columns else None
    vectors = embed(loaded, texts, pairs, batch_size, config.train.max_length, progress)
    rows = [{"text": t, **({"text_pair": pairs[i]} if pairs else {}), "label": _shown(label)}
            for i, (t, label) in enumerate(zip(texts, frame[LABEL].tolist(), strict=True))]
    meta = {"rows": len(rows), "training_rows": total, "dim": int(vectors.shape[1]), "pooling": "mean",
            "normalised": True, "dtype": "float16", "max_length": config.train.max_length, "created": time.time()}
    _write_index(index_folder(run_dir), vectors.astype(np.float16), rows, meta)
    return meta


def _shown(label: Any) -> str:
    """A training row's label as text: a multi-label row's labels joined by ';' (none: empty)."""
    return SEPARATOR.join(map(str, label)) if isinstance(label, tuple | list) else str(label)


def _write_index(target: Path, vectors: np.ndarray, rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Write the three files into ``index.partial`` and rename it over ``index`` (complete or absent)."""
    partial = partial_of(target)
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        np.save(partial / EMBEDDINGS, vectors)
        with open(partial / ROWS, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (partial / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    swap_folder(partial, target)


def load_index(run_dir: str | Path) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, Any]]:
    """(float32 vectors, rows, meta) of a run's index, cached until its files change; a RunError without one."""
    folder = index_folder(run_dir)
    try:
        stamp = (folder / EMBEDDINGS).stat().st_mtime_ns
    except OSError:
        raise RunError(f"Run {Path(run_dir).name} has no similar-examples index (it was trained before TuneScope "
                       f"kept one, or stopped early): build it with `python -m core index {run_dir}`.") from None
    key = (str(folder.resolve()), stamp)
    with _INDEX_LOCK:
        if key in _INDEXES:
            _INDEXES.move_to_end(key)
            return _INDEXES[key]
    try:
        vectors = np.load(folder / EMBEDDINGS).astype(np.float32)  # float32 once: numpy has no fast float16 matmul
        with open(folder / ROWS, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"The similar-examples index of run {Path(run_dir).name} is damaged ({exc}): build it again "
                       f"with `python -m core index {run_dir}`.") from exc
    if len(rows) != len(vectors):
        raise RunError(f"The similar-examples index of run {Path(run_dir).name} is damaged (rows and embeddings "
                       f"differ): build it again with `python -m core index {run_dir}`.")
    with _INDEX_LOCK:
        _INDEXES[key] = (vectors, rows, meta)
        while len(_INDEXES) > _INDEX_CACHE:
            _INDEXES.popitem(last=False)
    return vectors, rows, meta


def similar_examples(loaded: Loaded, run_dir: str | Path, text: str, text_pair: str | None = None,
                     k: int = 5) -> list[dict[str, Any]]:
    """The ``k`` training examples of the run closest to ``text``: ``[{"text", "label", "similarity"}]``
    (plus ``text_pair`` for pair tasks), most similar first; ``loaded`` must be the run's own model."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"The number of similar examples must be a whole number of at least 1 (got {k}).")
    if not clean_text(text).strip():
        raise DataError("The text to find similar examples for is empty: give a text with words in it.")
    run_dir = Path(run_dir)
    if loaded.source.run_dir is None or loaded.source.run_dir.resolve() != run_dir.resolve():
        raise ModelError(f"Similar examples of run {run_dir.name} need that run's own model: load the run, "
                         f"not {loaded.source.display}.")
    vectors, rows, meta = load_index(run_dir)
    query = embed(loaded, [text], [text_pair] if text_pair is not None else None,
                  max_length=int(meta.get("max_length") or 512))[0]
    if query.shape[0] != vectors.shape[1]:
        raise RunError(f"The similar-examples index of run {run_dir.name} does not fit its model: build it again "
                       f"with `python -m core index {run_dir}`.")
    scores = vectors @ query
    k = min(k, len(rows))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [{**rows[i], "similarity": round(float(scores[i]), 6)} for i in top]
