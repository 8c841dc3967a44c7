"""Health checks on a clean labelled table: balance, duplicates, text and token lengths, overlap.

Takes the clean frame from ``core.data`` (columns ``text``, optional ``text_pair``, ``label``) and
returns plain JSON-ready dicts (for multi-label data also per-label counts, co-occurrence and labels per
row, ``core.data.multilabel.multi_label_stats``); the token-length part tokenises a seeded sample of at most
:data:`TOKEN_SAMPLE_ROWS` rows in batches, and ``readability`` says whether the model can read the text at all
(``core.data.readable``). Drawing is in ``core.plots.data``; reading files is not here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.config import DEFAULT_MAX_LENGTH
from core.data.duplicates import shown_key, text_keys
from core.data.labelled import LABEL, TEXT, TEXT_PAIR
from core.data.multilabel import multi_label_stats
from core.data.readable import readability
from core.data.table import short
from core.modelref import ModelLike, source_of
from core.models import load_tokenizer

TOKEN_SAMPLE_ROWS = 20_000
TOKEN_BATCH = 1_000
HISTOGRAM_BINS = 40
IMBALANCE_WARNING = 10.0
EXAMPLES = 5


def health_report(data: Any, model: ModelLike = None, max_length: int = DEFAULT_MAX_LENGTH,
                  tokenizer: Any = None) -> dict[str, Any]:
    """Rows, class balance, duplicates and lengths of a :class:`core.data.LabelledData`; 'warnings' lists findings."""
    frame, rep = data.frame, data.report
    warnings: list[str] = []
    balance = class_balance(rep.labels)
    multi = bool(getattr(data, "multi_label", False))
    if balance["imbalance_ratio"] >= IMBALANCE_WARNING:
        weights = "per-label positive weights" if multi else "class weights"
        warnings.append(
            f"{'Labels' if multi else 'Classes'} are unbalanced: '{short(balance['largest'])}' has "
            f"{balance['imbalance_ratio']:.0f}x the examples of '{short(balance['smallest'])}'; {weights} "
            "(the 'auto' default) help."
        )
    duplicates = duplicate_report(frame)
    if duplicates["conflicting_texts"]:
        warnings.append(
            f"{duplicates['conflicting_texts']} text(s) appear with different labels "
            f"({duplicates['conflicting_rows']} rows): fix or remove them, a model cannot learn both."
        )
    report: dict[str, Any] = {
        "rows": {"read": rep.rows_read, "kept": rep.rows_kept, "dropped": dict(rep.dropped),
                 "dropped_total": int(sum(rep.dropped.values()))},
        "class_balance": balance, "duplicates": duplicates, "characters": character_lengths(frame), "tokens": None,
    }
    if multi:
        report["multi_label"] = multi_label_stats(frame[LABEL], list(data.labels))
    if tokenizer is not None or model:
        tokenizer, name, location = tokenizer_of(tokenizer, model)
        report["tokens"] = token_lengths(frame, tokenizer, model, max_length, name=name, location=location)
        report["readability"] = readability(data_texts(frame), tokenizer, name)
        if report["readability"]["unreadable"]:
            warnings.append(report["readability"]["message"])
        share = report["tokens"]["truncated_share"]
        if share > 0.05:
            warnings.append(
                f"{share:.0%} of rows are longer than max_length {max_length} tokens and will be cut; "
                f"max_length {report['tokens']['suggested_max_length']} covers 95%."
            )
    report["warnings"] = warnings
    return report


def class_balance(labels: dict[str, int]) -> dict[str, Any]:
    """Counts and shares per class, the largest and smallest class and their ratio."""
    total = max(sum(labels.values()), 1)
    largest = max(labels, key=labels.__getitem__)
    smallest = min(labels, key=labels.__getitem__)
    return {
        "classes": len(labels), "counts": dict(labels),
        "shares": {label: round(n / total, 4) for label, n in labels.items()},
        "largest": largest, "smallest": smallest,
        "imbalance_ratio": round(labels[largest] / max(labels[smallest], 1), 2),
    }


def _key(frame: pd.DataFrame, pair: bool | None = None) -> pd.Series:
    """Each row's normalised text key (``core.data.duplicates``): case, spaces and full-width forms aside."""
    pair = TEXT_PAIR in frame.columns if pair is None else pair
    return text_keys(frame[TEXT], frame[TEXT_PAIR] if pair else None)


def duplicate_report(frame: pd.DataFrame) -> dict[str, Any]:
    """Repeated texts (case, spaces and full-width forms aside): rows that repeat one with the same label, and
    texts given different labels (conflicting), with a few examples as first written."""
    keys = _key(frame)
    text_codes, _ = pd.factorize(keys)
    label_codes, _ = pd.factorize(frame[LABEL])
    n_labels = int(label_codes.max()) + 1 if len(label_codes) else 1
    pairs = pd.unique(text_codes.astype(np.int64) * n_labels + label_codes)
    labels_per_text = np.bincount(pairs // n_labels, minlength=int(text_codes.max()) + 1 if len(text_codes) else 0)
    conflicting = np.flatnonzero(labels_per_text > 1)
    rows = int(np.isin(text_codes, conflicting).sum()) if len(conflicting) else 0
    first = _first_texts(frame, text_codes)
    examples = [
        {"text": first[code][:200],
         "labels": sorted(frame[LABEL][text_codes == code].unique().tolist())}
        for code in conflicting[:EXAMPLES]
    ]
    sizes = np.bincount(text_codes) if len(text_codes) else np.zeros(0, dtype=np.int64)
    return {"exact_duplicate_rows": int(len(text_codes) - len(pairs)), "conflicting_texts": int(len(conflicting)),
            "conflicting_rows": rows, "conflicting_examples": examples,
            "repeated_rows": int(len(text_codes) - len(sizes)), "repeated_texts": int((sizes > 1).sum())}


def _first_texts(frame: pd.DataFrame, codes: np.ndarray) -> dict[int, str]:
    """Each group's text as its first row wrote it (a pair's texts separated by ' | ')."""
    _, first = np.unique(codes, return_index=True)
    texts = frame[TEXT].iloc[first].astype(str)
    if TEXT_PAIR in frame.columns:
        texts = texts + " | " + frame[TEXT_PAIR].iloc[first].astype(str)
    return dict(zip(codes[first].tolist(), texts.tolist(), strict=True))


def _distribution(lengths: np.ndarray) -> dict[str, Any]:
    if len(lengths) == 0:
        return {"min": 0, "mean": 0.0, "p50": 0, "p90": 0, "p95": 0, "p99": 0, "max": 0,
                "histogram": {"edges": [], "counts": []}}
    p50, p90, p95, p99 = (int(math.ceil(v)) for v in np.percentile(lengths, [50, 90, 95, 99]))
    bins = max(1, min(HISTOGRAM_BINS, int(lengths.max() - lengths.min()) + 1))
    counts, edges = np.histogram(lengths, bins=bins)
    return {"min": int(lengths.min()), "mean": round(float(lengths.mean()), 2), "p50": p50, "p90": p90,
            "p95": p95, "p99": p99, "max": int(lengths.max()),
            "histogram": {"edges": [round(float(e), 2) for e in edges], "counts": counts.tolist()}}


def character_lengths(frame: pd.DataFrame) -> dict[str, Any]:
    """Length in characters of every text (both texts for pairs)."""
    lengths = frame[TEXT].str.len()
    if TEXT_PAIR in frame.columns:
        lengths = lengths + frame[TEXT_PAIR].str.len()
    return _distribution(lengths.to_numpy(dtype=np.int64, na_value=0))


def _sample(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    return frame if len(frame) <= limit else frame.sample(n=limit, random_state=0)


def model_max_positions(tokenizer: Any, location: str | None = None) -> int | None:
    """The longest input the model takes: the tokenizer's limit, else the model config's positions."""
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 100_000:
        return limit
    config = Path(location) / "config.json" if location else None
    if config is not None and config.exists():
        values = json.loads(config.read_text(encoding="utf-8"))
        for name in ("max_position_embeddings", "n_positions", "max_seq_len"):
            if isinstance(values.get(name), int):
                return int(values[name])
    return None


def suggest_max_length(p95: int, model_max: int | None) -> int:
    """The 95th percentile rounded up to a multiple of 8 (16 above 64 tokens), capped at the model's limit."""
    step = 8 if p95 <= 64 else 16
    suggested = max(16, int(math.ceil(p95 / step)) * step)
    return min(suggested, model_max) if model_max else suggested


def tokenizer_of(tokenizer: Any, model: ModelLike) -> tuple[Any, str, str | None]:
    """The tokenizer given, else ``model``'s (loaded), with the model's name and folder (None when not known)."""
    if tokenizer is None:
        source = source_of(model)
        return load_tokenizer(source), source.display, source.location
    return tokenizer, str(getattr(tokenizer, "name_or_path", "")) or type(tokenizer).__name__, None


def data_texts(frame: pd.DataFrame) -> list[str]:
    """Every text the model reads: the text column and, for pairs, the second text."""
    texts = frame[TEXT].astype(str).tolist()
    return texts + frame[TEXT_PAIR].astype(str).tolist() if TEXT_PAIR in frame.columns else texts


def token_lengths(frame: pd.DataFrame, tokenizer: Any, model: ModelLike, max_length: int, name: str | None = None,
                  location: str | None = None) -> dict[str, Any]:
    """Token-length distribution of a sample under the model's tokenizer, truncated share and a max_length."""
    if tokenizer is None or name is None:
        tokenizer, name, found = tokenizer_of(tokenizer, model)
        location = location or found
    sample = _sample(frame, TOKEN_SAMPLE_ROWS)
    texts = sample[TEXT].tolist()
    pairs = sample[TEXT_PAIR].tolist() if TEXT_PAIR in sample.columns else None
    lengths: list[int] = []
    for start in range(0, len(texts), TOKEN_BATCH):
        batch_pairs = pairs[start:start + TOKEN_BATCH] if pairs else None
        encoded = tokenizer(texts[start:start + TOKEN_BATCH], batch_pairs, truncation=False, verbose=False)
        lengths += [len(ids) for ids in encoded["input_ids"]]
    array = np.asarray(lengths, dtype=np.int64)
    model_max = model_max_positions(tokenizer, location)
    distribution = _distribution(array)
    return {
        "tokenizer": name,
        "sampled_rows": len(sample), "total_rows": len(frame), "sampled": len(sample) < len(frame),
        "max_length": max_length, "model_max_length": model_max,
        "truncated_share": round(float((array > max_length).mean()) if len(array) else 0.0, 4),
        "suggested_max_length": suggest_max_length(distribution["p95"], model_max),
        **distribution,
    }


def overlap_report(train_frame: pd.DataFrame, val_frame: pd.DataFrame) -> dict[str, Any]:
    """Texts (text pairs for pair tasks) that appear in both training and validation data, case, spaces and
    full-width forms aside; examples as the validation data writes them."""
    pair = TEXT_PAIR in train_frame.columns and TEXT_PAIR in val_frame.columns
    train_keys, val_keys = _key(train_frame, pair), _key(val_frame, pair)
    in_train = val_keys.isin(set(train_keys.unique()))
    shared = pd.unique(val_keys[in_train])
    written = val_frame[TEXT].astype(str) + (" | " + val_frame[TEXT_PAIR].astype(str) if pair else "")
    shown = dict(zip(val_keys[in_train][::-1], written[in_train][::-1], strict=True))  # each key's first row
    train_labels = pd.DataFrame({"key": train_keys, LABEL: train_frame[LABEL]}).drop_duplicates()
    val_labels = pd.DataFrame({"key": val_keys[in_train], LABEL: val_frame[LABEL][in_train]}).drop_duplicates()
    merged = val_labels.merge(train_labels, on="key", suffixes=("_val", "_train"))
    conflicting = merged.loc[merged[f"{LABEL}_val"] != merged[f"{LABEL}_train"], "key"].nunique()
    return {
        "train_rows": len(train_frame), "val_rows": len(val_frame), "overlapping_texts": len(shared),
        "val_rows_in_train": int(in_train.sum()), "train_rows_in_val": int(train_keys.isin(set(val_keys)).sum()),
        "val_share_in_train": round(float(in_train.mean()) if len(val_frame) else 0.0, 4),
        "conflicting_labels": int(conflicting),
        "examples": [str(shown.get(k, shown_key(k)))[:200] for k in shared[:EXAMPLES]],
    }


def validation_report(train: Any, val: Any) -> dict[str, Any]:
    """A validation file's rows and labels, labels training lacks, and its overlap with training."""
    overlap = overlap_report(train.frame, val.frame)
    unknown = sorted(set(val.labels) - set(train.labels))
    missing = sorted(set(train.labels) - set(val.labels))
    warnings = []
    if unknown:
        warnings.append(f"The validation data has labels the training data lacks: {', '.join(map(short, unknown[:5]))}.")
    if overlap["val_rows_in_train"]:
        warnings.append(
            f"{overlap['val_rows_in_train']:,} validation row(s) ({overlap['val_share_in_train']:.1%}) also appear in "
            f"the training data (ignoring case, spaces and full-width forms): training leaves out the "
            f"{overlap['train_rows_in_val']:,} training row(s) with those texts, so scores are measured on unseen text."
        )
    return {"rows": val.report.rows_kept, "labels": val.report.labels, "dropped": val.report.dropped,
            "unknown_labels": unknown, "labels_missing_from_validation": missing, "overlap": overlap,
            "warnings": warnings}
