"""CSV files TuneScope writes for people to open: cells a spreadsheet would run as a formula escaped, and the file
written beside its place and renamed into it, so a reader never sees half a file (prediction files, the next rows
to label, the suspect-label list)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError
from core.files import written_aside

# OWASP CSV injection: a cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def escape_cell(value: Any) -> Any:
    """``value`` with a ``'`` in front when a spreadsheet would run it as a formula (OWASP CSV injection).

    Formula starts: ``= + - @``, tab, carriage return. A cell that is a plain number (``-3.5``, ``+1e5``)
    is a number, not a formula, and is left as it is so numeric columns stay numeric; anything else
    starting with ``-`` or ``+`` (``-1+2``, ``+cmd``) is escaped. Non-text cells and cells already
    starting with ``'`` are left alone.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through :func:`escape_cell`."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out.isetitem(position, column.map(escape_cell))
    out.columns = [escape_cell(str(name)) for name in out.columns]
    return out


def write_csv(frame: pd.DataFrame, output: Path) -> None:
    """Write ``frame`` as CSV beside ``output`` and rename it into place, so a reader never sees half a file
    (prediction files, the suspect-label list)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with written_aside(output, ".partial") as partial:
            frame.to_csv(partial, index=False)
    except OSError as exc:
        raise DataError(f"Cannot write {output}: {exc.strerror or exc}. Choose another output file.") from exc
