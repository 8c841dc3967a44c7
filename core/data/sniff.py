"""Guess how a delimited text file is laid out: its delimiter, whether row one is a header, bad quotes.

Works on a decoded sample of the file with the standard ``csv`` module, so the fast reader in
``core.data.readers`` can be told exactly what to expect. Pure functions on strings; no file access.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from statistics import median

DELIMITERS = ",\t;|:^~"
SAMPLE_ROWS = 200
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


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
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts: list[int] = []
    try:
        for row in reader:
            if row:
                counts.append(len(row))
            if len(counts) >= SAMPLE_ROWS:
                break
    except csv.Error:
        return []
    return counts


def find_unclosed_quote(text: str, delimiter: str) -> int | None:
    """The line where a quoted field starts that is never closed, or None when quoting is fine."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            return start
        return reader.line_num
    return None


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
