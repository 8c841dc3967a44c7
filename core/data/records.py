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

from core.data.limits import MAX_COLUMNS, MAX_JSON_DEPTH, check_arrow, check_frame, check_shape
from core.data.sniff import header_names
from core.data.table import short
from core.errors import DataError

RECORD_HINT = 'one object like {"text": "...", "label": "..."}'
ARROW_BLOCK = 1 << 20  # pyarrow infers the columns from this many bytes of JSON Lines; later lines must match them


def read_json(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The records in JSON ``data`` as a table of strings, and notes on how they were found."""
    text = data.decode("utf-8")
    try:
        if text.lstrip().startswith("{"):
            whole = _whole_object(text)
            if whole is not None:
                return _from_object(whole, name)
            table = _arrow_lines(data, text, name)
            if table is not None:
                return arrow_to_strings(table, name), []
        records = _json_records(text, name)
    except RecursionError as exc:
        raise _too_deep(name) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(f"{name} must hold JSON objects, {RECORD_HINT}, one per line or in one [...] list.")
    return _frame(records, name), []


def _too_deep(name: str) -> DataError:
    return DataError(f"{name} nests JSON values more than {MAX_JSON_DEPTH} levels deep; the limit is {MAX_JSON_DEPTH}: "
                     f"save flat records, {RECORD_HINT} per line.")


def _arrow_lines(data: bytes, text: str, name: str) -> Any:
    """JSON Lines through pyarrow's reader, or None when the slow path must read them (mixed types, bad lines,
    columns that appear after the first block, deeply nested or very wide values)."""
    import pyarrow as pa
    import pyarrow.json as pajson

    if _most_openers(data) > MAX_JSON_DEPTH:
        return None  # pyarrow builds one nested type per level: the json module measures the depth instead
    try:
        first = [json.loads(line) for line in text[:ARROW_BLOCK].split("\n")[:-1] if line.strip()]
    except ValueError:
        return None  # the slow path names the line
    if not first or not all(isinstance(r, dict) for r in first):
        return None
    _check_records(first, name)
    if any(_keys(r) > MAX_COLUMNS for r in first):
        return None
    try:
        reader = pajson.open_json(io.BytesIO(data), read_options=pajson.ReadOptions(block_size=ARROW_BLOCK))
        return reader.read_all()
    except (pa.ArrowException, ValueError):
        return None


def _most_openers(data: bytes, chunk: int = 1 << 22) -> int:
    """The most '[' and '{' on one line: no JSON value on a line nests deeper."""
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    best = carry = 0
    for start in range(0, len(array), chunk):
        part = array[start:start + chunk]
        count = np.cumsum((part == 0x5B) | (part == 0x7B), dtype=np.int64)
        ends = np.flatnonzero(part == 0x0A)
        if len(ends) == 0:
            carry += int(count[-1])
        else:
            at = count[ends]
            best = max(best, carry + int(at[0]), int(np.diff(at).max()) if len(at) > 1 else 0)
            carry = int(count[-1] - at[-1])
        best = max(best, carry)
    return best


def _keys(value: Any) -> int:
    """Keys in a record, its nested objects included."""
    if isinstance(value, dict):
        return len(value) + sum(_keys(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(_keys(v) for v in value if isinstance(v, dict | list))
    return 0


def _depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and objects nest in ``value`` (0 for a plain value), counted up to ``limit`` + 1."""
    level, current = 0, [value] if isinstance(value, dict | list) else []
    while current and level <= limit:
        level += 1
        current = [v for c in current for v in (c.values() if isinstance(c, dict) else c) if isinstance(v, dict | list)]
    return level


def _check_records(records: list[dict[str, Any]], name: str) -> None:
    """Refuse records whose keys (the columns) or nesting pass the limits, before a table is built."""
    keys: set[Any] = set()
    for record in records:
        keys.update(record)
    check_shape(name, len(records), len(keys))
    if any(_depth(list(record.values())) > MAX_JSON_DEPTH for record in records):
        raise _too_deep(name)


def _whole_object(text: str) -> dict[str, Any] | None:
    """The file as one JSON object when it is exactly one (not JSON Lines), else None."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _from_object(value: dict[str, Any], name: str) -> tuple[pd.DataFrame, list[str]]:
    """A file holding one object: records under one key, one list (or pandas dict) per column, or one record."""
    check_shape(name, 1, len(value))
    lists = [key for key, v in value.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
    if len(lists) == 1:
        return _frame(value[lists[0]], name), [f"Read the records under the key '{short(lists[0])}'."]
    if len(lists) > 1:
        raise DataError(f"{name} holds {len(lists)} lists of records: save the one to train on as JSON Lines, "
                        f"{RECORD_HINT} per line.")
    columns = list(value.values())
    if len(value) >= 2 and all(isinstance(v, list) for v in columns) and len({len(v) for v in columns}) == 1:
        check_shape(name, len(columns[0]), len(columns))
        return _table(pd.DataFrame(value), name), []
    if len(value) >= 2 and all(isinstance(v, dict) for v in columns):
        check_shape(name, len({key for v in columns for key in v}), len(columns))
        return _table(pd.DataFrame(value), name), []
    if any(isinstance(v, (dict, list)) for v in columns):
        raise DataError(f"{name} holds one JSON object, not a list of records: save the data as JSON Lines, "
                        f"{RECORD_HINT} per line.")
    return _frame([value], name), []


def _frame(records: list[dict[str, Any]], name: str) -> pd.DataFrame:
    if not records:
        raise DataError(f"{name} has no records: add one JSON object per line.")
    _check_records(records, name)
    return _table(pd.DataFrame.from_records(records), name)


def _table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.columns = header_names([str(c) for c in frame.columns])
    frame = frame.map(cell_text).astype("string").reset_index(drop=True)
    check_frame(name, frame)
    return frame


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


def arrow_to_strings(table: Any, name: str) -> pd.DataFrame:
    """An Arrow table as a DataFrame of strings with unique, non-empty column names, within the table limits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[str(name)] = pc.cast(column, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns[str(name)] = pa.array([cell_text(v) for v in column.to_pylist()], pa.string())
    names = header_names(list(columns))
    strings = pa.table(dict(zip(names, columns.values(), strict=True)))
    check_arrow(name, strings, [short(n) for n in names])
    return strings.to_pandas().astype("string")


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
