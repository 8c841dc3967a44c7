"""Turn JSON records and typed cells (JSON, JSON Lines, Arrow/Parquet, Excel) into a table of strings.

JSON Lines go through pyarrow when every line is a plain object; a JSON array of objects, objects
with mixed types, and a JSON object that wraps the records (``{"data": [...]}``, or one list per
column) go through the ``json`` module. Anything else is a :class:`DataError` that names the file and
the line, never the content. Sniffing the format is ``core.data.readers``' job.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from core.data.sniff import header_names
from core.data.table import short
from core.errors import DataError

RECORD_HINT = 'one object like {"text": "...", "label": "..."}'


def read_json(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The records in JSON ``data`` as a table of strings, and notes on how they were found."""
    text = data.decode("utf-8")
    notes: list[str] = []
    if text.lstrip().startswith("{"):
        whole = _whole_object(text)
        if whole is not None:
            return _from_object(whole, name)
        try:
            import pyarrow.json as pajson

            return arrow_to_strings(pajson.read_json(io.BytesIO(data))), notes
        except Exception:  # mixed types or bad lines: the slow path below finds the line to report
            pass
    records = _json_records(text, name)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(f"{name} must hold JSON objects, {RECORD_HINT}, one per line or in one [...] list.")
    return _frame(records, name), notes


def _whole_object(text: str) -> dict[str, Any] | None:
    """The file as one JSON object when it is exactly one (not JSON Lines), else None."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _from_object(value: dict[str, Any], name: str) -> tuple[pd.DataFrame, list[str]]:
    """A file holding one object: records under one key, one list (or pandas dict) per column, or one record."""
    lists = [key for key, v in value.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
    if len(lists) == 1:
        return _frame(value[lists[0]], name), [f"Read the records under the key '{short(lists[0])}'."]
    if len(lists) > 1:
        raise DataError(f"{name} holds {len(lists)} lists of records: save the one to train on as JSON Lines, "
                        f"{RECORD_HINT} per line.")
    columns = list(value.values())
    if len(value) >= 2 and all(isinstance(v, list) for v in columns) and len({len(v) for v in columns}) == 1:
        return _table(pd.DataFrame(value)), []
    if len(value) >= 2 and all(isinstance(v, dict) for v in columns):
        return _table(pd.DataFrame(value)), []
    if any(isinstance(v, (dict, list)) for v in columns):
        raise DataError(f"{name} holds one JSON object, not a list of records: save the data as JSON Lines, "
                        f"{RECORD_HINT} per line.")
    return _frame([value], name), []


def _frame(records: list[dict[str, Any]], name: str) -> pd.DataFrame:
    if not records:
        raise DataError(f"{name} has no records: add one JSON object per line.")
    return _table(pd.DataFrame.from_records(records))


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = header_names([str(c) for c in frame.columns])
    return frame.map(cell_text).astype("string").reset_index(drop=True)


def _json_records(text: str, name: str) -> Any:
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}): fix it or save as JSONL.") from exc
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"Line {number} of {name} is not valid JSON ({exc.msg}): each line must be "
                                f"{RECORD_HINT}.") from exc
    return records


def arrow_to_strings(table: Any) -> pd.DataFrame:
    """An Arrow table as a DataFrame of strings with unique, non-empty column names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[str(name)] = pc.cast(column, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns[str(name)] = pa.array([cell_text(v) for v in column.to_pylist()], pa.string())
    names = header_names(list(columns))
    return pa.table(dict(zip(names, columns.values(), strict=True))).to_pandas().astype("string")


def cell_text(value: Any) -> str | None:
    """One cell as text: missing stays missing, integral floats lose their '.0', booleans are lower case."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
