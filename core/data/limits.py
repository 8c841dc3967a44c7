"""The limits every reader of a labelled file works under, declared once, and the checks that apply them.

A file is read whole into memory, so its size bounds the work: :data:`MAX_FILE_BYTES` for the file as
it is, :data:`MAX_EXPANDED_BYTES` for what a compressed file (.xlsx, Parquet, .gz/.bz2/.xz, a zip
holding one table) holds once expanded, checked from what the file declares before anything parses it.
The table a reader produces is bounded in rows, columns, cells and characters per cell, checked on
pyarrow's table before pandas copies it (or on the records before a DataFrame is built), so a
pathological file is refused in one sentence that names the limit and what to do instead of being
read for minutes. Every message names the file as the user knows it and never its content.
"""

from __future__ import annotations

import os
from typing import Any

from core.errors import DataError

MAX_FILE_BYTES = int(float(os.environ.get("TUNESCOPE_MAX_FILE_MB", 2048)) * 1024**2)
MAX_EXPANDED_BYTES = int(float(os.environ.get("TUNESCOPE_MAX_EXPANDED_MB", 500)) * 1024**2)
MAX_ROWS = 5_000_000
MAX_COLUMNS = 2_000
MAX_CELLS = 20_000_000  # rows x columns: every cell becomes a Python string in the table
MAX_CELL_CHARS = 25_000_000  # a model reads a few hundred tokens; far longer cells are read with a warning up to this
MAX_JSON_DEPTH = 64  # nested lists and objects inside a JSON record
MAX_ZIP_MEMBERS = 10_000  # files inside a zip or .xlsx
MAX_RATIO = 100  # a compressed CSV or JSON file may expand this many times over (text rarely passes 20) ...
RATIO_FLOOR = 64 * 1024**2  # ... once it has expanded past this many bytes (small files compress better)


def mb(size: int) -> str:
    return f"{size / 1024**2:,.0f} MB"


def expanded_limit(max_bytes: int) -> int:
    """How many bytes a compressed file may expand to when plain files may have ``max_bytes``."""
    return min(max_bytes, MAX_EXPANDED_BYTES)


def refuse_expanded(name: str, limit: int) -> DataError:
    return DataError(f"{name} expands to more than {mb(limit)}; the limit is {mb(limit)}: split the file or save it "
                     "as CSV.")


def too_dense(expanded: int, compressed: int) -> bool:
    """Whether ``expanded`` bytes out of ``compressed`` bytes read pass :data:`MAX_RATIO` (beyond :data:`RATIO_FLOOR`)."""
    return expanded > RATIO_FLOOR and expanded > MAX_RATIO * compressed


def refuse_ratio(name: str, expanded: int) -> DataError:
    return DataError(f"{name} expands more than {MAX_RATIO}-fold (to over {mb(expanded)}); the limit is "
                     f"{MAX_RATIO}-fold: send the table uncompressed, or as Parquet.")


def check_shape(name: str, rows: int, columns: int, cells: int | None = None) -> None:
    """Refuse a table over :data:`MAX_COLUMNS`, :data:`MAX_ROWS` or :data:`MAX_CELLS` (``cells``: filled cells
    counted in the file, else rows x columns)."""
    if columns > MAX_COLUMNS:
        raise DataError(f"{name} has {columns:,} columns; the limit is {MAX_COLUMNS:,}: keep the text and label "
                        "columns (and a few others) and save it again.")
    if rows > MAX_ROWS:
        raise DataError(f"{name} has {rows:,} rows; the limit is {MAX_ROWS:,}: split the file or sample it down.")
    cells = rows * columns if cells is None else cells
    if cells > MAX_CELLS:
        raise DataError(f"{name} has {cells:,} cells; the limit is {MAX_CELLS:,}: drop the columns you do not need, "
                        "or split the file.")


def refuse_long_cell(name: str, length: int, column: str) -> DataError:
    """A cell of ``length`` characters in ``column`` (a quoted name, or a number)."""
    return DataError(f"{name} has a cell of {length:,} characters in column {column}; the limit is "
                     f"{MAX_CELL_CHARS:,} characters: shorten the texts (a model reads only the first few hundred "
                     "words) or fix the quoting.")


def refuse_long_line(name: str, length: int, line: int) -> DataError:
    """A stretch of ``length`` bytes without a delimiter or line break, from ``line`` on: one cell at least that long."""
    return DataError(f"{name} has a cell of {length:,} bytes on line {line:,}; the limit is {MAX_CELL_CHARS:,} "
                     "characters: shorten the texts (a model reads only the first few hundred words) or fix the "
                     "quoting.")


def check_arrow(name: str, table: Any, column_names: list[str] | None = None) -> None:
    """Refuse an Arrow table over the shape limits or holding a cell over :data:`MAX_CELL_CHARS` characters."""
    import pyarrow as pa
    import pyarrow.compute as pc

    check_shape(name, table.num_rows, table.num_columns)
    for number, column in enumerate(table.columns):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        longest = pc.max(pc.utf8_length(column)).as_py() if table.num_rows else None
        if longest is not None and longest > MAX_CELL_CHARS:
            shown = f"'{column_names[number]}'" if column_names else str(number + 1)
            raise refuse_long_cell(name, longest, shown)


def check_frame(name: str, frame: Any) -> None:
    """:func:`check_arrow` for a pandas table of strings (Excel and JSON records)."""
    check_shape(name, len(frame), frame.shape[1])
    for column in frame.columns:
        lengths = frame[column].str.len()
        longest = lengths.max() if len(lengths) else None
        if longest is not None and longest == longest and longest > MAX_CELL_CHARS:
            raise refuse_long_cell(name, int(longest), f"'{str(column)[:40]}'")
