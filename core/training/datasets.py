"""Training and validation tables for a run, tokenized with ``datasets.map`` and cached on disk.

Labels become class ids, or for multi-label data multi-hot float vectors; the training table keeps a
``row`` column (each row's position in the train frame) so training dynamics can be recorded per row.

The cache key covers the data file's hash, the tokenizer, max_length, the columns, the validation
split (and how it was made: ``config.resolved["split"]``) and the labels, so a repeated run skips
tokenization and a changed setting never reuses a stale cache. Reading and cleaning the file is ``core.data``'s job.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.data import (
    LABEL,
    SPLIT,
    TEXT,
    TEXT_PAIR,
    Columns,
    file_hash,
    load_labelled,
    overlap_report,
    split_train_val,
    without_overlap,
)
from core.data.multilabel import multi_hot
from core.errors import ConfigError

ROW = "row"
CACHE_FORMAT = "2"  # 2: multi-hot labels and the train table's row column


def cache_dir() -> Path:
    """Where tokenized datasets are cached ($TUNESCOPE_CACHE or ~/.cache/tunescope)."""
    return Path(os.environ.get("TUNESCOPE_CACHE") or Path.home() / ".cache" / "tunescope") / "tokenized"


def is_multi_label(frame: Any) -> bool:
    """Whether a clean frame's labels are tuples (multi-label data)."""
    return len(frame) > 0 and isinstance(frame[LABEL].iloc[0], tuple | list)


def label_column(frame: Any, labels: list[str]) -> list:
    """Class ids per row, or multi-hot float vectors for multi-label frames; unknown labels are refused."""
    multi = is_multi_label(frame)
    found = set(frame[LABEL].explode().dropna()) if multi else set(frame[LABEL])
    unknown = sorted(map(str, found - set(labels)))
    if unknown:
        raise ConfigError(
            f"The validation data has labels the training data lacks: {', '.join(unknown[:5])}. "
            "Use the same label names in both files."
        )
    if multi:
        return multi_hot(frame[LABEL], labels).astype("float32").tolist()
    label2id = {label: i for i, label in enumerate(labels)}
    return [label2id[label] for label in frame[LABEL]]


def tokenize_frame(frame: Any, tokenizer: Any, max_length: int, labels: list[str], cache_key: str | None = None,
                   rows: bool = False) -> Any:
    """A ``datasets.Dataset`` with input ids, labels and lengths (and with ``rows`` each row's position);
    cached on disk when ``cache_key`` is set."""
    from datasets import Dataset

    has_pair = TEXT_PAIR in frame.columns
    texts = [TEXT, TEXT_PAIR] if has_pair else [TEXT]
    table = frame[texts].reset_index(drop=True).astype(str)
    table["labels"] = label_column(frame, labels)
    if rows:
        table[ROW] = range(len(table))

    def encode(batch: dict[str, list]) -> dict[str, list]:
        pair = batch[TEXT_PAIR] if has_pair else None
        encoded = tokenizer(batch[TEXT], pair, truncation=True, max_length=max_length)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    dataset = Dataset.from_pandas(table, preserve_index=False)
    kwargs: dict[str, Any] = {}
    if cache_key:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        kwargs = {"cache_file_name": str(folder / f"{cache_key}.arrow"), "load_from_cache_file": True}
    return dataset.map(encode, batched=True, batch_size=1000, remove_columns=texts, **kwargs)


def _cache_key(config: RunConfig, split: str, tokenizer: Any, data_hash: str | None) -> str | None:
    if not data_hash:
        return None
    parts = [
        CACHE_FORMAT, str(config.data.multi_label), data_hash, split, str(getattr(tokenizer, "name_or_path", "")), type(tokenizer).__name__,
        str(config.train.max_length), str(config.data.text_column), str(config.data.text_pair_column),
        str(config.data.label_column), str(config.data.val_fraction), str(config.train.seed), ",".join(config.labels),
        str(config.resolved.get("split")),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def load_frames(config: RunConfig) -> tuple[Any, Any, str | None]:
    """Train and validation tables (a given validation file or a seeded split) and the validation hash.

    No text is on both sides (``core.data.split``): the split keeps repeated texts on one side, and training
    leaves out the rows whose text is in a validation file. Runs trained before (their ``resolved`` has no
    ``split``) read their rows as they were trained."""
    data_cfg = config.data
    columns = Columns.of(data_cfg)
    resolved = config.resolved
    grouped = "split" in resolved or not ("train_val_overlap" in resolved or "multi_label" in resolved)
    resolved.update({"split": SPLIT} if grouped else {})
    data = load_labelled(data_cfg.train_file, columns)
    config.resolved["multi_label"] = data.multi_label
    if config.labels and set(data.labels) != set(config.labels):
        raise ConfigError(f"The training data reads as {len(data.labels)} labels ({', '.join(data.labels[:5])}), not "
                          f"the run's {len(config.labels)}: create the run again with the same multi_label setting.")
    if data_cfg.val_file:  # read the way the training data reads: single- or multi-label
        val_frame = load_labelled(data_cfg.val_file, replace(columns, multi_label="yes" if data.multi_label else "no")).frame
        train_frame, left_out = without_overlap(data.frame, val_frame) if grouped else (data.frame, 0)
        frames = (train_frame, val_frame, file_hash(data_cfg.val_file))
    else:
        train_frame, val_frame = split_train_val(data, data_cfg.val_fraction, config.train.seed, grouped=grouped)
        frames, left_out = (train_frame, val_frame, config.data_hash), 0
    overlap = overlap_report(frames[0], frames[1])
    config.resolved["train_val_overlap"] = {**{k: v for k, v in overlap.items() if not isinstance(v, list | dict)},
                                            **({"train_rows_left_out": left_out} if left_out else {})}
    return frames


def tokenize_frames(config: RunConfig, tokenizer: Any, frames: tuple[Any, Any, str | None]) -> tuple[Any, Any]:
    """Tokenized (cached) train and validation datasets for the frames of :func:`load_frames`."""
    train_frame, val_frame, val_hash = frames
    train_hash = config.data_hash  # the training rows also depend on a validation file (its texts are left out)
    if train_hash and config.data.val_file and config.resolved.get("split"):
        train_hash = f"{train_hash}+{val_hash}"
    train = tokenize_frame(train_frame, tokenizer, config.train.max_length, config.labels,
                           _cache_key(config, "train", tokenizer, train_hash), rows=True)
    val = tokenize_frame(val_frame, tokenizer, config.train.max_length, config.labels,
                         _cache_key(config, "val", tokenizer, val_hash))
    return train, val


def prepare_datasets(config: RunConfig, tokenizer: Any) -> tuple[Any, Any]:
    """Train and validation datasets for ``config``: a given validation file or a seeded split."""
    return tokenize_frames(config, tokenizer, load_frames(config))
