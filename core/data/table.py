"""The raw table every reader produces: how it was read (:class:`TableInfo`), and which rows are not data.

Works on the raw table of strings a CSV or Excel reader produced (every row as data): skips title
rows above the header (a merged Excel title or group names, a report name: rows with empty cells over
a full header row),
decides whether the first row is a header (``core.data.sniff.looks_like_header``, not fooled by copies
of the header further down) and finds rows that repeat the header — two files joined together — so the
reader can drop them and name their lines. Reading bytes is ``core.data.readers``' job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.sniff import header_names, is_number, looks_like_header
from core.errors import DataError

_NAME = re.compile(r"^\w[\w .,:()/#%&+'-]{0,59}$")  # what a column name looks like (no $, =, @ ...)
MAX_TITLE_ROWS = 3
VOTE_ROWS = 500


@dataclass
class TableInfo:
    """How a file was read, and what reading had to skip."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    malformed_rows: int = 0
    repeated_headers: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Header:
    """The table with its column names, and which raw rows (0-based positions) were not data."""

    frame: pd.DataFrame
    has_header: bool
    title_rows: int = 0
    repeats: list[int] = field(default_factory=list)


def _row(raw: pd.DataFrame, i: int) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in raw.iloc[i].tolist()]


def _filled(row: list[str | None]) -> int:
    return sum(1 for v in row if v is not None and v.strip())


def _title_rows(raw: pd.DataFrame) -> int:
    """Rows above a header that leave cells empty (a title, merged group names), when the next row is clearly a header."""
    if raw.shape[1] < 2:
        return 0
    for top in range(min(MAX_TITLE_ROWS, len(raw) - 1)):
        if _filled(_row(raw, top)) == raw.shape[1]:
            break
        below = _row(raw, top + 1)
        if _clearly_header(below, _columns(raw, top + 2, below)):
            return top + 1
    return 0


def _clearly_header(row: list[str | None], columns: list[list[str | None]]) -> bool:
    """Every cell filled, none a number, and none found again in its column (a data row's label always is)."""
    if _filled(row) < len(row) or not any(any(v for v in column) for column in columns):
        return False
    return all(not is_number(v) and v.strip() not in {c.strip() for c in column if c}
               for v, column in zip(row, columns, strict=True) if v is not None)


def _columns(raw: pd.DataFrame, start: int, first: list[str | None]) -> list[list[str | None]]:
    """The values under ``first`` that vote on it, leaving out copies of ``first`` (repeated headers)."""
    block = raw.iloc[start:start + VOTE_ROWS]
    names = _names(first)
    rows = [[None if pd.isna(v) else str(v) for v in row] for row in block.itertuples(index=False)]
    rows = [row for row in rows if _names(row) != names]
    return [[row[i] for row in rows] for i in range(raw.shape[1])]


def _names(row: list[str | None]) -> list[str]:
    return sorted(v.strip() for v in row if v is not None and v.strip())


def header_copies(frame: pd.DataFrame, first: list[str | None]) -> list[int]:
    """Positions of rows whose cells are the header's names again (in any order, spaces around them allowed)."""
    names = _names(first)
    if len(names) < 2 or len(frame) == 0:
        return []
    named = [c for c, v in zip(frame.columns, first, strict=True) if v is not None and v.strip()]
    longest = max(named, key=lambda c: frame[c].head(1000).str.len().mean())  # fewest short cells to strip
    column = frame[longest]
    short_cells = np.flatnonzero((column.str.len() <= max(map(len, names)) + 8).to_numpy(dtype=bool, na_value=False))
    hits = column.iloc[short_cells].str.strip().isin(set(names)).to_numpy(dtype=bool, na_value=False)
    candidates = short_cells[hits]
    if len(candidates) == 0:
        return []
    sub = frame.iloc[candidates].astype("string").apply(lambda c: c.str.strip().fillna(""))
    filled = (sub != "").sum(axis=1).to_numpy()
    ok = (filled == len(names)) & (sub.isin(set(names)) | (sub == "")).all(axis=1).to_numpy(dtype=bool)
    return [int(p) for p, row in zip(candidates[ok], sub[ok].itertuples(index=False), strict=True)
            if sorted(v for v in row if v) == names]


def note_skipped(info: TableInfo, head: Header, line_of: Callable[[int], int | None], where: str = "line") -> None:
    """Count the header copies and add one note per kind of skipped row, naming their lines (``line_of`` a raw position)."""
    titles = [line for line in map(line_of, range(head.title_rows)) if line]
    copies = [line for line in map(line_of, head.repeats) if line]
    if head.title_rows:
        at = f" ({where} {shown_lines(titles)})" if titles else ""
        info.notes.append(f"Skipped {head.title_rows} title row(s) above the header{at}.")
    if head.repeats:
        info.repeated_headers = len(head.repeats)
        at = f" on {where}(s) {shown_lines(copies)}" if copies else ""
        info.notes.append(f"The header row appears again{at} (files joined together?): dropped {len(head.repeats)} "
                          "such row(s).")


def shown_lines(lines: list[int], limit: int = 5) -> str:
    """'3, 9, 12' or '3, 9, 12, 20, 31 and 4 more'."""
    shown = ", ".join(f"{line:,}" for line in lines[:limit])
    return shown + (f" and {len(lines) - limit:,} more" if len(lines) > limit else "")


def apply_header(raw: pd.DataFrame) -> Header:
    """Column names from the header row when there is one (else column_1, column_2, ...), title rows and header copies dropped."""
    if len(raw) == 0:
        raise DataError("The file has no rows: export the data again with a header row and labelled examples.")
    top = _title_rows(raw)
    first = _row(raw, top)
    has_header = top > 0 or looks_like_header(first, _columns(raw, top + 1, first))
    if not has_header:
        frame = raw.reset_index(drop=True)
        frame.columns = header_names([None] * raw.shape[1])
        return Header(frame, False)
    body = raw.iloc[top + 1:].reset_index(drop=True)
    repeats = header_copies(body, first)
    if repeats:
        body = body.drop(index=repeats).reset_index(drop=True)
    body.columns = header_names(first)
    return Header(body, True, top, [top + 1 + r for r in repeats])


def shown_columns(columns: list[object], limit: int = 20) -> str:
    """'the file has: a, b. Pick one of those ...', naming columns only when they read like a header's names."""
    names = [str(c) for c in columns]
    if not all(_NAME.match(name) for name in names):
        return f"the file has {len(names)} columns, and its first row does not look like a header: check the header row"
    shown = ", ".join(short(name) for name in names[:limit]) + (", ..." if len(names) > limit else "")
    return f"the file has: {shown}. Pick one of those (names are case-sensitive)"


def short(name: object, limit: int = 40) -> str:
    """A name for a message: one line, at most ``limit`` characters (cut with '…')."""
    text = " ".join(str(name).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
