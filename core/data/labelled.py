"""Read a labelled file into a clean table of text, optional text pair, and label.

Reading (formats, encodings, delimiters, header rows) is in ``core.data.readers`` and choosing the
columns in ``core.data.columns``; this module normalises labels, drops unusable rows and counts why
(missing text or label, a repeated header, a label that reads like a text), refuses a label column that
is not classes (``core.data.content``), and counts rows that repeat a text (``core.data.duplicates``:
case, spaces and full-width forms aside). Splitting off validation data is ``core.data.split``.
Multi-label data (several labels in a cell, or several 0/1 columns: ``core.data.multilabel``) gets a tuple of labels per row in the
``label`` column. The warnings it reports are ``core.data.findings``'. Errors are :class:`DataError` with a sentence on how to fix the file, naming
the file as the user knows it. Tokenization for training lives in ``core.training.datasets``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import Columns, check_text, pick_columns
from core.data.content import check_labels, text_like_labels
from core.data.duplicates import group_ids, repeated
from core.data.findings import warnings_for
from core.data.labelvalues import normalise_labels, sort_labels
from core.data.limits import MAX_FILE_BYTES
from core.data.multilabel import (
    binary_columns,
    binary_labels,
    check_mode,
    format_name,
    label_counts,
    list_format,
    order_tuples,
    split_labels,
)
from core.data.readers import TableInfo, read_any
from core.data.table import short
from core.data.uploads import file_hash, shown_name
from core.errors import DataError

__all__ = ["LABEL", "MAX_FILE_BYTES", "PREVIEW_ROWS", "TEXT", "TEXT_PAIR", "Columns", "DataReport", "LabelledData", "file_hash",
           "load_labelled", "normalise_labels", "read_table", "sort_labels"]

TEXT = "text"
TEXT_PAIR = "text_pair"
LABEL = "label"
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
    duplicates: int = 0  # rows that repeat an earlier row's text (case, spaces and full-width forms aside)
    duplicate_groups: int = 0  # texts that appear more than once: the split keeps each on one side
    warnings: list[str] = field(default_factory=list)
    has_header: bool = True
    multi_label: bool = False
    label_format: str | None = None  # multi-label: how the labels were given ('0/1 columns', "separated by ';'", ...)
    label_columns: list[str] | None = None  # multi-label from 0/1 columns: those columns
    rows_without_label: int = 0  # multi-label: rows with none of the labels

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LabelledData:
    """A clean table with columns ``text``, optionally ``text_pair``, and ``label``.

    ``label`` holds strings, or for multi-label data a tuple of label strings per row (in the order of
    ``labels``; empty = none of the labels).
    """

    frame: pd.DataFrame
    labels: list[str]
    report: DataReport
    raw_head: pd.DataFrame | None = None  # the first rows as read, all columns (for previews)
    multi_label: bool = False
    source_rows: list[int] | None = None  # each row's position in the table as read (to write a cleaned copy)

    @property
    def has_pair(self) -> bool:
        return TEXT_PAIR in self.frame.columns

    @property
    def chosen(self) -> Columns:
        """The columns the rows were read from (named or guessed) and whether they are multi-label ('yes'/'no')."""
        report = self.report
        return Columns(report.text_column, report.label_column, report.text_pair_column,
                       "yes" if self.multi_label else "no")


def read_table(path: str | Path, max_bytes: int | None = None) -> tuple[pd.DataFrame, TableInfo]:
    """Read any supported file into a DataFrame of strings (missing cells stay missing), with how it was read.

    ``max_bytes`` defaults to :data:`MAX_FILE_BYTES` (set ``TUNESCOPE_MAX_FILE_MB`` to change it).
    """
    return read_any(Path(path), MAX_FILE_BYTES if max_bytes is None else max_bytes)


def _strip(series: pd.Series) -> pd.Series:
    out = series.astype("string").str.strip()
    return out.mask((out == "").fillna(False))


def _clean(frame: pd.DataFrame, text: str, pair: str | None, labels: pd.Series) -> tuple[pd.DataFrame, dict[str, int]]:
    """Stripped texts and the given labels (normalised strings, or tuples), rows missing any dropped; the
    frame's index holds each kept row's position in ``frame``."""
    clean = pd.DataFrame({TEXT: _strip(frame[text])})
    if pair:
        clean[TEXT_PAIR] = _strip(frame[pair])
    clean[LABEL] = labels if labels.dtype == object else labels.mask((labels == "").fillna(False))
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
    clean = clean[~gone]
    clean.index = np.flatnonzero(~gone.to_numpy())
    return clean.astype({c: str for c in clean.columns if c != LABEL or labels.dtype != object}), dropped


def load_labelled(path: str | Path, columns: Columns | None = None, max_bytes: int | None = None) -> LabelledData:
    """Read a labelled file, pick columns, clean rows and labels, and report what happened.

    ``columns`` names the columns to read (the others are guessed; ``label`` may name several 0/1 label
    columns separated by commas, ``"billing,bug,refund"``) and its ``multi_label`` ('auto', 'yes', 'no')
    overrides the multi-label detection.
    """
    frame, info = read_table(path, max_bytes)
    if len(frame) == 0:
        raise DataError(f"{shown_name(path)} has a header but no rows: add labelled examples below the header.")
    columns = columns or Columns()
    given = replace(columns, multi_label=check_mode(columns.multi_label))
    mode, pair = given.multi_label, given.pair
    flags = binary_columns(frame, given)
    text_column, label_column = pick_columns(frame, replace(given, label=flags[0]) if flags else given)
    raw = binary_labels(frame, flags) if flags else normalise_labels(frame[label_column])
    clean, dropped = _clean(frame, text_column, pair, raw)
    skipped = {"malformed row": info.malformed_rows, "repeated header": info.repeated_headers}
    dropped = {**{why: n for why, n in skipped.items() if n}, **dropped}
    how = "columns" if flags else list_format(clean[LABEL].value_counts(), mode)
    notes: list[str] = []
    if how:
        clean, labels, counts, notes = _multi_labels(clean, how, flags)
        label_column = ",".join(flags) if flags else label_column
    else:
        counts = clean[LABEL].value_counts()
        clean, counts = _drop_text_like_labels(clean, counts, dropped)
        labels = sort_labels([str(v) for v in counts.index])
    if len(labels) < 2:
        found = f"only the class '{short(labels[0])}'" if labels else "no usable labels"
        raise DataError(
            f"The label column '{short(label_column)}' has {found}: a classifier needs at least two classes. "
            "Add examples of another class or choose another label column."
        )
    check_text(frame, Columns(text_column, label_column, pair), named=bool(given.text))
    check_labels(counts, label_column)
    source_rows = clean.index.tolist()
    clean = clean.reset_index(drop=True)
    duplicates, groups = repeated(group_ids(clean[TEXT], clean[TEXT_PAIR] if pair else None))
    report = DataReport(
        rows_read=len(frame) + info.malformed_rows + info.repeated_headers, rows_kept=len(clean), dropped=dropped,
        labels={label: int(counts[label]) for label in labels}, text_column=text_column, label_column=label_column,
        text_pair_column=pair, columns=[str(c) for c in frame.columns], format=info.format,
        encoding=info.encoding, delimiter=info.delimiter, duplicates=duplicates, duplicate_groups=groups,
        has_header=info.has_header,
        multi_label=bool(how), label_format=format_name(how), label_columns=flags,
        rows_without_label=int((clean[LABEL].map(len) == 0).sum()) if how else 0,
    )
    report.warnings = info.notes + notes + warnings_for(report, frame, clean)
    return LabelledData(clean, labels, report, raw_head=frame.head(PREVIEW_ROWS).copy(), multi_label=bool(how),
                        source_rows=source_rows)


def _multi_labels(clean: pd.DataFrame, how: str,
                  columns: list[str] | None) -> tuple[pd.DataFrame, list[str], pd.Series, list[str]]:
    """Tuples of labels per row (``how`` from ``list_format``, or 'columns'), the labels, their rows, notes.

    A 0/1 column without a single positive row is left out with a note: no model learns a label it never sees.
    """
    if how != "columns":
        clean[LABEL] = split_labels(clean[LABEL], how)
    counts = label_counts(clean[LABEL])
    labels = list(columns) if columns else sort_labels([str(v) for v in counts.index])
    counts = counts.reindex(labels, fill_value=0)
    empty = [label for label in labels if counts[label] == 0]
    notes = [f"Label column(s) {', '.join(map(short, empty[:5]))} have no positive rows and are left out."] if empty else []
    labels = [label for label in labels if label not in empty]
    clean[LABEL] = order_tuples(clean[LABEL], labels)
    return clean, labels, counts[labels], notes


def _drop_text_like_labels(clean: pd.DataFrame, counts: pd.Series,
                           dropped: dict[str, int]) -> tuple[pd.DataFrame, pd.Series]:
    """Drop the few rows whose label reads like a text (a delimiter problem there), counting them in ``dropped``."""
    odd = text_like_labels(counts)
    if not odd or len(odd) > 0.05 * len(clean):
        return clean, counts
    dropped["text-like label"] = len(odd)
    clean = clean[~clean[LABEL].isin(odd)]  # keeps the index: positions in the table as read
    return clean, counts.drop(index=odd)
