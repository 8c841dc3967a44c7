"""Read a labelled file into a clean table of text, optional text pair, and label.

Reading (formats, encodings, delimiters, header rows) is in ``core.data.readers`` and choosing the
columns in ``core.data.columns``; this module normalises labels, drops unusable rows and counts why,
warns about what it found, and splits off validation data. Errors are :class:`DataError` with a
sentence on how to fix the file. Tokenization for training lives in ``core.training.datasets``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.columns import column_stats, pick_columns, text_score
from core.data.readers import TableInfo, read_any
from core.errors import DataError

TEXT = "text"
TEXT_PAIR = "text_pair"
LABEL = "label"
MAX_FILE_BYTES = int(float(os.environ.get("TUNESCOPE_MAX_FILE_MB", 2048)) * 1024**2)
MIN_CLASS_EXAMPLES = 5
PREVIEW_ROWS = 50


@dataclass
class DataReport:
    """What loading found: rows kept and dropped (and why), labels, warnings."""

    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    labels: dict[str, int]
    text_column: str
    label_column: str
    text_pair_column: str | None
    columns: list[str]
    format: str
    encoding: str | None
    delimiter: str | None
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    has_header: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LabelledData:
    """A clean table with columns ``text``, optionally ``text_pair``, and ``label`` (strings)."""

    frame: pd.DataFrame
    labels: list[str]
    report: DataReport
    raw_head: pd.DataFrame | None = None  # the first rows as read, all columns (for previews)

    @property
    def has_pair(self) -> bool:
        return TEXT_PAIR in self.frame.columns


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: str | Path, max_bytes: int | None = None) -> tuple[pd.DataFrame, TableInfo]:
    """Read any supported file into a DataFrame of strings (missing cells stay missing), with how it was read.

    ``max_bytes`` defaults to :data:`MAX_FILE_BYTES` (set ``TUNESCOPE_MAX_FILE_MB`` to change it).
    """
    return read_any(Path(path), MAX_FILE_BYTES if max_bytes is None else max_bytes)


def sort_labels(values: list[str]) -> list[str]:
    """Numbers in numeric order, anything else alphabetically."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def normalise_labels(labels: pd.Series) -> pd.Series:
    """Strip whitespace and write integral numbers one way: '1.0', '+1' and ' 1 ' all become '1'."""
    out = labels.astype("string").str.strip()
    out = out.str.replace(r"^\+?(-?\d+)(\.0*)?$", r"\1", regex=True)
    return out.replace("-0", "0")


def _strip(series: pd.Series) -> pd.Series:
    out = series.astype("string").str.strip()
    return out.mask((out == "").fillna(False))


def _clean(frame: pd.DataFrame, text: str, pair: str | None, label: str) -> tuple[pd.DataFrame, dict[str, int]]:
    clean = pd.DataFrame({TEXT: _strip(frame[text])})
    if pair:
        clean[TEXT_PAIR] = _strip(frame[pair])
    clean[LABEL] = normalise_labels(frame[label]).pipe(lambda s: s.mask((s == "").fillna(False)))
    reasons = [("missing text", clean[TEXT].isna())]
    if pair:
        reasons.append(("missing second text", clean[TEXT_PAIR].isna()))
    reasons.append(("missing label", clean[LABEL].isna()))
    dropped: dict[str, int] = {}
    gone = pd.Series(False, index=clean.index)
    for why, mask in reasons:
        new = mask & ~gone
        if new.any():
            dropped[why] = int(new.sum())
        gone |= new
    clean = clean[~gone].reset_index(drop=True)
    return clean.astype(str), dropped


def load_labelled(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    text_pair_column: str | None = None,
    max_bytes: int | None = None,
) -> LabelledData:
    """Read a labelled file, pick columns, clean rows and labels, and report what happened."""
    frame, info = read_table(path, max_bytes)
    if len(frame) == 0:
        raise DataError(f"{Path(path).name} has a header but no rows: add labelled examples below the header.")
    text_column, label_column = pick_columns(frame, text_column, label_column, text_pair_column)
    clean, dropped = _clean(frame, text_column, text_pair_column, label_column)
    if info.malformed_rows:
        dropped = {"malformed row": info.malformed_rows, **dropped}
    counts = clean[LABEL].value_counts()
    labels = sort_labels([str(v) for v in counts.index])
    if len(labels) < 2:
        found = f"only the class '{labels[0]}'" if labels else "no usable labels"
        raise DataError(
            f"The label column '{label_column}' has {found}: a classifier needs at least two classes. "
            "Add examples of another class or choose another label column."
        )
    key = [TEXT, TEXT_PAIR] if text_pair_column else [TEXT]
    duplicates = int(clean.duplicated(subset=key).sum())
    report = DataReport(
        rows_read=len(frame) + info.malformed_rows, rows_kept=len(clean), dropped=dropped,
        labels={label: int(counts[label]) for label in labels}, text_column=text_column, label_column=label_column,
        text_pair_column=text_pair_column, columns=[str(c) for c in frame.columns], format=info.format,
        encoding=info.encoding, delimiter=info.delimiter, duplicates=duplicates, has_header=info.has_header,
    )
    report.warnings = info.notes + _warnings(report, frame)
    return LabelledData(clean, labels, report, raw_head=frame.head(PREVIEW_ROWS).copy())


def _warnings(report: DataReport, frame: pd.DataFrame) -> list[str]:
    warnings: list[str] = []
    if report.dropped:
        warnings.append("Dropped " + ", ".join(f"{n} row(s) with {why}" for why, n in report.dropped.items()) + ".")
    rare = [label for label, n in report.labels.items() if n < MIN_CLASS_EXAMPLES]
    if rare:
        warnings.append(
            f"Classes with fewer than {MIN_CLASS_EXAMPLES} examples: {', '.join(rare[:10])}; they will be learned "
            "poorly (add examples or merge them)."
        )
    folded: dict[str, list[str]] = {}
    for label in report.labels:
        folded.setdefault(label.casefold(), []).append(label)
    clashes = [" / ".join(v) for v in folded.values() if len(v) > 1]
    if clashes:
        warnings.append(f"Labels that differ only in case are separate classes: {'; '.join(clashes[:5])}.")
    if report.duplicates:
        warnings.append(f"{report.duplicates} duplicate text(s) found.")
    n_labels, rows = len(report.labels), report.rows_kept
    if n_labels > 0.5 * rows and rows > 20:
        warnings.append(f"'{report.label_column}' has {n_labels} distinct values for {rows} rows: is it really the label?")
    if not report.has_header:
        warnings.append(f"No header row found: columns are named {', '.join(report.columns[:4])}.")
    if report.text_pair_column is None:
        warnings += _pair_hint(frame, report)
    return warnings


def _pair_hint(frame: pd.DataFrame, report: DataReport) -> list[str]:
    others = [s for s in column_stats(frame) if s["name"] not in (report.text_column, report.label_column)]
    free = [s for s in others if s["ratio"] > 0.5 and s["words"] >= 3 and s["numeric"] < 0.5]
    if not free:
        return []
    name = max(free, key=text_score)["name"]
    return [f"Column '{name}' also holds free text: choose it as the second text column for a sentence-pair task."]


def split_train_val(data: LabelledData, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded split; falls back to a plain seeded split when a class is too small."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < fraction < 1.0:
        raise DataError(f"The validation fraction must be between 0 and 1 (got {fraction}), e.g. 0.1.")
    frame = data.frame
    n_val = max(1, round(len(frame) * fraction))
    if len(frame) - n_val < 1:
        raise DataError(f"Only {len(frame)} usable rows: too few to split off validation data; add rows or a validation file.")
    counts = frame[LABEL].value_counts()
    stratified = counts.min() >= 2 and n_val >= len(counts) and len(frame) - n_val >= len(counts)
    train, val = train_test_split(frame, test_size=n_val, random_state=seed, shuffle=True,
                                  stratify=frame[LABEL] if stratified else None)
    return train.reset_index(drop=True), val.reset_index(drop=True)


