"""Read delimited text (CSV, TSV, any one-character delimiter) into a table of strings; refuse broken quoting.

pyarrow parses the UTF-8 bytes in one pass. Cheap checks on the bytes and on pyarrow's result (an odd
number of quotes, cells spanning lines that hold rows of the file, rows with the wrong number of
fields, copies of the header) decide whether the slower line-finding passes of ``core.data.sniff``
run, so a clean file pays nothing for them. Messages name the file, line numbers and counts, never the
file's content. Choosing the header is ``core.data.table``'s job; other formats are ``core.data.readers``'.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd

from core.data.encoding import SAMPLE_BYTES
from core.data.limits import MAX_CELL_CHARS, MAX_COLUMNS, check_arrow, check_shape, refuse_long_line
from core.data.sniff import find_unclosed_quote, record_lines, rows_inside, sniff_delimiter
from core.data.table import TableInfo, apply_header, note_skipped
from core.errors import DataError

BLOCK_BYTES = 1 << 24
SPANNING_CELLS = 10_000  # cells with line breaks checked for swallowed rows
KNOWN_VALUES = 50  # a column with at most this many values (in the first rows) is a column of classes
QUOTE_FIX = 'close the quote, or double it ("") where it is part of the text.'


def read_delimited(data: bytes, name: str, suffix: str, encoding: str) -> tuple[pd.DataFrame, TableInfo]:
    """The table in ``data`` (UTF-8) with its header applied, and how it was read."""
    sample = data[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if not sample.strip():
        raise DataError(f"{name} has no text, only blank lines: export the data again with a header row.")
    delimiter, n_columns = sniff_delimiter(sample, suffix)
    if n_columns > MAX_COLUMNS or b"\n" not in data[:SAMPLE_BYTES]:
        check_shape(name, 1, _first_row_fields(data, delimiter))
    longest, start = _longest_run(data, delimiter)
    if longest > 4 * MAX_CELL_CHARS:  # bytes with no delimiter or line break between them belong to one cell
        line = data.count(b"\n", 0, start) + 1
        raise refuse_long_line(name, longest, line)
    if data.count(b'"') % 2:
        line = find_unclosed_quote(data.decode("utf-8"), delimiter)
        if line:
            raise DataError(f"{name} has a double quote on line {line:,} that is never closed properly, so the lines "
                            f"after it would read as one text: {QUOTE_FIX}")
    table, bad = _parse(data, delimiter, n_columns)
    check_arrow(name, table)
    _refuse_swallowed_rows(table, data, name, delimiter, len(bad))
    info = TableInfo("csv", encoding, delimiter)
    head = apply_header(table.to_pandas())
    del table
    info.has_header = head.has_header
    wanted = set(range(head.title_rows)) | set(head.repeats)
    if wanted or bad:
        lines, first_bad = record_lines(data.decode("utf-8"), delimiter, n_columns, wanted, ragged=bool(bad))
        note_skipped(info, head, lines.get)
        _note_malformed(bad, len(head.frame), delimiter, name, first_bad, info)
    return head.frame, info


def _longest_run(data: bytes, delimiter: str, chunk: int = 1 << 22) -> tuple[int, int]:
    """The longest stretch of bytes without the delimiter or a line break, and where it starts."""
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    stops = (ord(delimiter), 0x0A)
    best, best_start, last = 0, 0, -1
    for begin in range(0, len(array), chunk):
        part = array[begin:begin + chunk]
        ends = np.flatnonzero((part == stops[0]) | (part == stops[1])) + begin
        marks = np.concatenate(([last], ends, [len(array)] if begin + chunk >= len(array) else []))
        if len(marks) > 1:
            gaps = np.diff(marks) - 1
            i = int(gaps.argmax())
            if gaps[i] > best:
                best, best_start = int(gaps[i]), int(marks[i]) + 1
            last = int(marks[-1])
    return best, best_start


def _first_row_fields(data: bytes, delimiter: str) -> int:
    """Fields on the first line (a wide header can be longer than the sample the delimiter was sniffed from)."""
    end = data.find(b"\n")
    line = data[:end if end >= 0 else len(data)].rstrip(b"\r")
    if b'"' in line:
        try:
            return len(next(csv.reader([line.decode("utf-8")], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            pass
    return line.count(delimiter.encode("utf-8")) + 1


def _parse(data: bytes, delimiter: str, n_columns: int) -> tuple[Any, list[int]]:
    """pyarrow's table of strings (columns f0, f1, ...) and one entry per row skipped for its number of fields."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(n_columns)]
    bad: list[int] = []

    def skip(row: Any) -> str:
        bad.append(row.actual_columns)
        return "skip"

    block = BLOCK_BYTES
    while True:
        try:
            return pacsv.read_csv(
                io.BytesIO(data),
                read_options=pacsv.ReadOptions(column_names=names, block_size=block),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 invalid_row_handler=skip),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                     strings_can_be_null=True, quoted_strings_can_be_null=True),
            ), bad
        except pa.ArrowInvalid as exc:  # a row longer than a block: read again in one block
            if "straddl" not in str(exc) or block > len(data):
                raise
            block, bad[:] = len(data) + 1, []


def _refuse_swallowed_rows(table: Any, data: bytes, name: str, delimiter: str, bad_rows: int) -> None:
    """Refuse a file where a quoted field spanning lines holds rows of the file (a quote closed far too late)."""
    import pyarrow.compute as pc

    if table.num_rows < 2 or table.num_columns < 2:
        return
    if data.count(b"\n") + (not data.endswith(b"\n")) == table.num_rows + bad_rows:
        return  # one row per line: no cell spans lines
    spanning: list[tuple[int, str]] = []
    for number, column in enumerate(table.columns, 1):
        mask = pc.fill_null(pc.or_(pc.match_substring(column, "\n"), pc.match_substring(column, "\r")), False)
        if pc.any(mask).as_py():
            spanning += [(number, v) for v in pc.filter(column, mask).slice(0, SPANNING_CELLS).to_pylist()]
    if not spanning:
        return
    header = ["" if v is None else v.strip() for v in table.slice(0, 1).to_pylist()[0].values()]
    known = []
    for column in table.columns:
        values = pc.unique(column.slice(1, 20_000)).to_pylist()
        known.append({v.strip() for v in values if v} if len(values) <= KNOWN_VALUES else set())

    def swallowed(value: str) -> bool:
        return rows_inside(value, delimiter, header, known)

    found = next((number for number, value in spanning[:SPANNING_CELLS] if swallowed(value)), None)
    if found:
        line = find_unclosed_quote(data.decode("utf-8"), delimiter, swallowed)
        at = f"on line {line:,}" if line else f"in column {found}"
        raise DataError(f"{name} has a quoted field {at} that runs over the following rows, so they would read as "
                        f"one text: {QUOTE_FIX}")


def _note_malformed(bad: list[int], rows: int, delimiter: str, name: str, first: int | None, info: TableInfo) -> None:
    if not bad:
        return
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    at = f" (the first on line {first:,})" if first else ""
    if len(bad) > max(10, 0.1 * (rows + len(bad))):
        raise DataError(
            f"{len(bad):,} rows of {name} have a different number of {shown}-separated fields than the header{at}: "
            "quote texts that contain the delimiter, or choose another delimiter."
        )
    info.malformed_rows = len(bad)
    info.notes.append(f"Skipped {len(bad):,} malformed row(s) with the wrong number of fields{at}.")
