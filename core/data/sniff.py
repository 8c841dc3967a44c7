"""Guess how a delimited text file is laid out: its delimiter, whether row one is a header, bad quotes.

Works on decoded text with the standard ``csv`` module, so the fast reader in ``core.data.delimited``
can be told exactly what to expect, and finds lines for messages: where a broken quote opens and
where given rows start (1-based, as a text editor counts lines). The whole-file passes run only when
the fast reader saw something wrong. Pure functions on strings; no file access, no messages.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Collection
from statistics import median

DELIMITERS = ",\t;|:^~"
SAMPLE_ROWS = 200
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BREAK = re.compile(r"\r\n|\r|\n")


def sniff_delimiter(sample: str, suffix: str = "") -> tuple[str, int]:
    """The delimiter that splits the sample's rows most consistently, and the first row's field count.

    Earlier entries of :data:`DELIMITERS` win ties (tab first for ``.tsv``); a file with no delimiter
    at all reads as one column split on commas.
    """
    order = "\t" + DELIMITERS.replace("\t", "") if suffix in (".tsv", ".tab") else DELIMITERS
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        sample = "".join(lines[:-1])  # the sample may end inside a row
    best: tuple[float, int, str, int] | None = None
    for rank, delimiter in enumerate(order):
        counts = _field_counts(sample, delimiter)
        if not counts or counts[0] < 2:
            continue
        common, freq = Counter(counts).most_common(1)[0]
        if common < 2:
            continue
        consistency = round(freq / len(counts), 2)
        candidate = (consistency, -rank, delimiter, counts[0])
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        return ("\t" if suffix in (".tsv", ".tab") else ","), 1
    return best[2], best[3]


def _field_counts(sample: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    counts: list[int] = []
    try:
        for row in reader:
            if row:
                counts.append(len(row))
            if len(counts) >= SAMPLE_ROWS:
                break
    except csv.Error:  # a field over csv's size limit, or the sample ending inside quotes: the rows so far
        return counts
    return counts


def line_breaks(text: str, start: int = 0, end: int | None = None) -> int:
    """Line breaks in ``text[start:end]``, counting CRLF, LF and a lone CR once each."""
    end = len(text) if end is None else end
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


def find_unclosed_quote(text: str, delimiter: str, swallowed: Callable[[str], bool] | None = None) -> int | None:
    """The line where a quoted field opens that is never closed or is closed in the middle of a field, or
    (when ``swallowed`` says so of a field spanning lines) that ran over rows of the file; None when quoting is fine."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for row in reader:
            if swallowed is not None:
                for i, value in enumerate(row):
                    if ("\n" in value or "\r" in value) and swallowed(value):
                        return start + sum(line_breaks(v) for v in row[:i])
            start = reader.line_num + 1
    except csv.Error:  # a broken quote, or a field over csv's size limit: scan on from that record
        return _scan_quotes(text, _line_start(text, start), start, delimiter)
    return None


def _line_start(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        found = _BREAK.search(text, pos)
        if found is None:
            return len(text)
        pos = found.end()
    return pos


def _closing_quote(text: str, pos: int) -> int:
    while True:
        end = text.find('"', pos)
        if end < 0 or not text.startswith('""', end):
            return end
        pos = end + 2


def _scan_quotes(text: str, pos: int, line: int, delimiter: str) -> int | None:
    """From ``pos`` (on ``line``), the line of the first quoted field that does not close right before a delimiter or line end."""
    stops = re.compile(f"[{re.escape(delimiter)}\r\n]")
    n = len(text)
    while pos < n:
        if text[pos] == '"':
            end = _closing_quote(text, pos + 1)
            if end < 0 or (end + 1 < n and text[end + 1] not in (delimiter, "\r", "\n")):
                return line
            line += line_breaks(text, pos, end)
            pos = end + 1
        else:
            found = stops.search(text, pos)
            if found is None:
                return None
            pos = found.start()
        if pos >= n:
            return None
        step = 2 if text.startswith("\r\n", pos) else 1
        line += text[pos] in "\r\n"
        pos += step
    return None


def rows_inside(value: str, delimiter: str, header: list[str], known: list[Collection[str]]) -> bool:
    """Whether a field spanning lines holds rows of the file: a line equal to the header, or two lines with one
    field per column where some field is one of its column's few values (``known``) — a quote that swallowed rows."""
    row_like = 0
    for line in _BREAK.split(value):
        fields = [f.strip().strip('"').strip() for f in line.split(delimiter)]
        if len(fields) != len(header) or len(header) < 2:
            continue
        if fields == header:
            return True
        row_like += any(f and f in values for f, values in zip(fields, known, strict=True))
        if row_like >= 2:
            return True
    return False


def record_lines(text: str, delimiter: str, n_columns: int, wanted: Collection[int] = (),
                 ragged: bool = False) -> tuple[dict[int, int], int | None]:
    """Where table rows start: {row: line} for the ``wanted`` rows of the table a reader gets that skips blank rows and
    rows with another number of fields, and (with ``ragged``) the line of the first such other-sized row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: dict[int, int] = {}
    first_ragged, row, start = None, 0, 1
    try:
        for fields in reader:
            if len(fields) == n_columns:
                if row in wanted:
                    lines[row] = start
                row += 1
            elif fields and first_ragged is None:
                first_ragged = start
            if len(lines) == len(wanted) and (first_ragged is not None or not ragged):
                break
            start = reader.line_num + 1
    except csv.Error:  # a field over csv's size limit: the lines found so far
        pass
    return lines, first_ragged


def is_number(value: str) -> bool:
    return bool(_NUMBER.match(value.strip()))


def looks_like_header(first: list[str | None], rest: list[list[str | None]]) -> bool:
    """Whether the first row names the columns rather than holding an example.

    A first-row cell votes 'data' when it is a number or one of its column's values, or is long like
    free text; it votes 'header' when its column is numeric but it is not, or it is a short name above
    long texts. Ties keep the header, the common case.
    """
    header = data = 0
    for name, column in zip(first, rest, strict=False):
        values = [v.strip() for v in column if v is not None and v.strip()]
        if name is None or not name.strip() or not values:
            continue
        name = name.strip()
        numeric = sum(map(is_number, values)) / len(values)
        if is_number(name):
            data += 2 if numeric > 0.5 else 1
        elif numeric >= 0.9:
            header += 2
        elif name in set(values):
            data += 2
        elif len(name) > 40 or len(name.split()) > 5:
            data += 1
        elif median(len(v) for v in values) > 2 * len(name) + 10:
            header += 1
    return header >= data


def header_names(first: list[str | None]) -> list[str]:
    """Unique, non-empty column names: blanks become column_N, repeats get _2, _3 ..."""
    names: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(first, 1):
        name = str(value).strip() if value is not None and str(value).strip() else f"column_{i}"
        unique, k = name, 2
        while unique in seen:
            unique, k = f"{name}_{k}", k + 1
        seen.add(unique)
        names.append(unique)
    return names
