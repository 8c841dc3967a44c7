"""Read a labelled file into a clean table of text, optional text pair, and label.

Handles CSV/TSV and other delimiters, JSON Lines, Parquet and Excel; detects the encoding; guesses
the text and label columns; drops unusable rows and counts why; splits off validation data. Errors
are :class:`DataError` with a sentence on how to fix the file. Tokenization lives in ``training``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError

TEXT = "text"
TEXT_PAIR = "text_pair"
LABEL = "label"
MAX_FILE_BYTES = 2 * 1024**3


@dataclass
class TableInfo:
    """How a file was read."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LabelledData:
    """A clean table with columns ``text``, optionally ``text_pair``, and ``label`` (strings)."""

    frame: pd.DataFrame
    labels: list[str]
    report: DataReport

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


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: str | Path) -> tuple[pd.DataFrame, TableInfo]:
    """Read any supported file into a DataFrame of strings, with how it was read."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist: check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a folder: give a labelled file (CSV, TSV, JSONL, Parquet or Excel).")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty: export the data again with a header row and at least two classes.")
    if size > MAX_FILE_BYTES:
        raise DataError(f"{path.name} is larger than 2 GB: sample it down before uploading.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path).astype("string"), TableInfo("parquet")
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype="string"), TableInfo("excel")
        text, encoding = _decode(path.read_bytes())
        if suffix in (".jsonl", ".ndjson") or (suffix == ".json" and text.lstrip().startswith("{")):
            frame = pd.read_json(io.StringIO(text), lines=True, dtype=False).astype("string")
            return frame, TableInfo("jsonl", encoding)
        delimiter = _sniff_delimiter(text, suffix)
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype="string", keep_default_na=True)
        return frame, TableInfo("csv", encoding, delimiter)
    except DataError:
        raise
    except Exception as exc:  # pandas raises many types for unreadable files
        raise DataError(
            f"Could not read {path.name} as a table ({type(exc).__name__}: {exc}). "
            "Save it as UTF-8 CSV with a header row, or as JSONL, Parquet or .xlsx."
        ) from exc


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """Guess (text column, label column): text is long and varied, label has few distinct values."""
    if frame.shape[1] < 2:
        raise DataError(
            f"Found only {frame.shape[1]} column(s) ({', '.join(map(str, frame.columns))}): the file needs a "
            "text column and a label column. Check the delimiter and header row."
        )
    stats = []
    for name in frame.columns:
        values = frame[name].dropna().astype(str)
        mean_len = float(values.str.len().mean()) if len(values) else 0.0
        distinct = values.nunique() / max(len(values), 1)
        stats.append((name, mean_len, distinct, values.nunique()))
    text_column = max(stats, key=lambda s: (s[1] * (0.5 + s[2])))[0]
    candidates = [s for s in stats if s[0] != text_column]
    label_column = min(candidates, key=lambda s: (s[3] < 2, s[3], s[1]))[0]
    return str(text_column), str(label_column)


def _check_column(frame: pd.DataFrame, name: str, role: str) -> None:
    if name not in frame.columns:
        raise DataError(
            f"The {role} column '{name}' does not exist; the file has: {', '.join(map(str, frame.columns))}."
        )


def sort_labels(values: list[str]) -> list[str]:
    """Numbers in numeric order, anything else alphabetically."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def load_labelled(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    text_pair_column: str | None = None,
) -> LabelledData:
    """Read a labelled file, pick columns, clean rows and labels, and report what happened."""
    frame, info = read_table(path)
    if len(frame) == 0:
        raise DataError(f"{Path(path).name} has a header but no rows: add labelled examples.")
    guessed_text, guessed_label = guess_columns(frame)
    text_column = text_column or guessed_text
    label_column = label_column or guessed_label
    _check_column(frame, text_column, "text")
    _check_column(frame, label_column, "label")
    if text_pair_column:
        _check_column(frame, text_pair_column, "second text")
    if text_column == label_column:
        raise DataError("The text and label columns are the same: pick two different columns.")

    clean = pd.DataFrame({TEXT: frame[text_column].astype("string").str.strip()})
    if text_pair_column:
        clean[TEXT_PAIR] = frame[text_pair_column].astype("string").str.strip()
    clean[LABEL] = frame[label_column].astype("string").str.strip()
    dropped: dict[str, int] = {}
    missing_text = clean[TEXT].isna() | (clean[TEXT] == "")
    if text_pair_column:
        missing_text |= clean[TEXT_PAIR].isna() | (clean[TEXT_PAIR] == "")
    missing_label = (clean[LABEL].isna() | (clean[LABEL] == "")) & ~missing_text
    if missing_text.any():
        dropped["missing text"] = int(missing_text.sum())
    if missing_label.any():
        dropped["missing label"] = int(missing_label.sum())
    clean = clean[~(missing_text | missing_label)].reset_index(drop=True)
    clean = clean.astype(str)

    counts = clean[LABEL].value_counts()
    labels = sort_labels([str(v) for v in counts.index])
    if len(labels) < 2:
        found = f"only '{labels[0]}'" if labels else "none"
        raise DataError(
            f"The label column '{label_column}' has {found}: a classifier needs at least two classes. "
            "Check the label column choice."
        )
    warnings: list[str] = []
    if dropped:
        warnings.append("Dropped " + ", ".join(f"{n} row(s) with {why}" for why, n in dropped.items()) + ".")
    rare = [label for label in labels if counts[label] < 5]
    if rare:
        warnings.append(f"Classes with fewer than 5 examples: {', '.join(rare)}; they will be learned poorly.")
    key = [TEXT, TEXT_PAIR] if text_pair_column else [TEXT]
    duplicates = int(clean.duplicated(subset=key).sum())
    if duplicates:
        warnings.append(f"{duplicates} duplicate text(s) found.")
    if len(labels) > 0.5 * len(clean) and len(clean) > 20:
        warnings.append(
            f"'{label_column}' has {len(labels)} distinct values for {len(clean)} rows: is it really the label?"
        )
    report = DataReport(
        rows_read=len(frame),
        rows_kept=len(clean),
        dropped=dropped,
        labels={label: int(counts[label]) for label in labels},
        text_column=text_column,
        label_column=label_column,
        text_pair_column=text_pair_column,
        columns=[str(c) for c in frame.columns],
        format=info.format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        duplicates=duplicates,
        warnings=warnings,
    )
    return LabelledData(clean, labels, report)


def split_train_val(data: LabelledData, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded split; falls back to a plain seeded split when a class is too small."""
    from sklearn.model_selection import train_test_split

    frame = data.frame
    n_val = max(1, round(len(frame) * fraction))
    if len(frame) - n_val < 1:
        raise DataError(f"Only {len(frame)} usable rows: too few to split off validation data.")
    counts = frame[LABEL].value_counts()
    stratify = frame[LABEL] if counts.min() >= 2 and n_val >= len(counts) else None
    train, val = train_test_split(frame, test_size=n_val, random_state=seed, shuffle=True, stratify=stratify)
    return train.reset_index(drop=True), val.reset_index(drop=True)


def inspect_file(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    text_pair_column: str | None = None,
) -> dict[str, Any]:
    """The CLI's ``inspect`` result as plain JSON-ready data."""
    data = load_labelled(path, text_column, label_column, text_pair_column)
    rep = data.report
    return {
        "rows": rep.rows_kept,
        "rows_read": rep.rows_read,
        "columns": rep.columns,
        "text_column": rep.text_column,
        "label_column": rep.label_column,
        "text_pair_column": rep.text_pair_column,
        "labels": rep.labels,
        "encoding": rep.encoding,
        "delimiter": rep.delimiter,
        "format": rep.format,
        "dropped": rep.dropped,
        "duplicates": rep.duplicates,
        "warnings": rep.warnings,
    }
