"""Turn the bytes of a labelled file into a table of strings, and say how it was read.

Recognises a file by its content as well as its name: CSV/TSV and other single-character
delimiters (sniffed), JSON Lines or a JSON array of records, Parquet and Excel (.xlsx). Detects the
encoding (UTF-8 with or without BOM, UTF-16/32 with BOM, cp1252/latin-1 and others through
charset-normalizer) and whether the first row is a header; headerless files get ``column_1``,
``column_2``, ... Refuses images, archives, binary data and broken quoting with a :class:`DataError`
that says how to fix the file. Choosing columns and cleaning labels is ``core.data.columns``' and ``core.data.labelled``'s job; the
delimiter sniffing and header heuristics live in ``core.data.sniff``.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.encoding import BOMS, EXPORT_HINT, SAMPLE_BYTES, to_utf8
from core.data.sniff import find_unclosed_quote, header_names, looks_like_header, sniff_delimiter
from core.errors import DataError

NOT_TABLES = [  # (magic bytes, what it is)
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"), (b"BM", "a BMP image"), (b"SQLite format 3", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file (.xls)"), (b"\x7fELF", "a program"),
]
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class TableInfo:
    """How a file was read, and what reading had to skip."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    malformed_rows: int = 0
    notes: list[str] = field(default_factory=list)


def read_any(path: Path, max_bytes: int) -> tuple[pd.DataFrame, TableInfo]:
    """Read ``path`` into a DataFrame whose cells are strings or missing (see module docstring)."""
    _check_file(path, max_bytes)
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    kind = _content_kind(path, head)
    try:
        if kind == "parquet":
            return _read_parquet(path), TableInfo("parquet")
        if kind == "excel":
            return _read_excel(path)
        raw = path.read_bytes()
        data, encoding = to_utf8(raw, path.name)
        del raw
        if kind == "json" or _looks_like_json_lines(data):
            kind = "json" if data.lstrip().startswith(b"[") else "jsonl"
            return _read_json(data, path.name), TableInfo(kind, encoding)
        return _read_delimited(data, path, encoding)
    except DataError:
        raise
    except MemoryError as exc:
        raise DataError(f"{path.name} does not fit in memory: sample it down and try again.") from exc
    except Exception as exc:  # parsers raise many types; the user gets one sentence, not a traceback
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError(f"Could not read {path.name} as a table ({reason}): {EXPORT_HINT}.") from exc


def _check_file(path: Path, max_bytes: int) -> None:
    if not path.exists():
        raise DataError(f"{path} does not exist: check the path.")
    if path.is_dir():
        raise DataError(f"{path} is a folder: give a labelled file (CSV, TSV, JSONL, Parquet or Excel).")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty: export the data again with a header row and at least two classes.")
    if size > max_bytes:
        raise DataError(
            f"{path.name} is {size / 1024**2:,.0f} MB, over the {max_bytes / 1024**2:,.0f} MB limit: sample it down "
            "or raise the limit (TUNESCOPE_MAX_FILE_MB)."
        )


def _content_kind(path: Path, head: bytes) -> str:
    """'parquet', 'excel', 'json' or 'text'; refuses known non-table formats by their magic bytes."""
    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if not head.startswith(tuple(bom for bom, _, _ in BOMS)):
        for magic, what in NOT_TABLES:
            if head.startswith(magic) and not (magic == b"BM" and suffix in (".csv", ".tsv", ".txt")):
                raise DataError(f"{path.name} is {what}, not a table: {EXPORT_HINT}.")
    if suffix in EXCEL_SUFFIXES:
        raise DataError(f"{path.name} is named like an Excel workbook but is not one: save it again as .xlsx or CSV.")
    if suffix in (".parquet", ".pq"):
        raise DataError(f"{path.name} is named like a Parquet file but is not one: write it again as Parquet or CSV.")
    return "json" if suffix in JSON_SUFFIXES else "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise DataError(f"{path.name} is a damaged zip or Excel file: export it again as .xlsx or CSV.") from exc
    if "xl/workbook.xml" in names:
        return "excel"
    if any(name.startswith("word/") for name in names):
        raise DataError(f"{path.name} is a Word document, not a table: {EXPORT_HINT}.")
    raise DataError(f"{path.name} is a zip archive: unzip it and choose the CSV (or other table) inside.")


def _looks_like_json_lines(data: bytes) -> bool:
    first = data.lstrip()[:1]
    if first != b"{":
        return False
    line = data.lstrip().split(b"\n", 1)[0].rstrip()
    return line.endswith(b"}")


def _read_delimited(data: bytes, path: Path, encoding: str) -> tuple[pd.DataFrame, TableInfo]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sample = data[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if not sample.strip():
        raise DataError(f"{path.name} has no text, only blank lines: export the data again with a header row.")
    delimiter, n_columns = sniff_delimiter(sample, path.suffix.lower())
    if data.count(b'"') % 2:
        line = find_unclosed_quote(data.decode("utf-8"), delimiter)
        if line:
            raise DataError(
                f"{path.name} has a double quote on line {line} that is never closed, so the rest of the file would "
                'read as one text: close the quote, or double it ("") where it is part of the text.'
            )
    names = [f"f{i}" for i in range(n_columns)]
    bad: list[str] = []

    def skip(row: Any) -> str:
        bad.append(str(row.text)[:80])
        return "skip"

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                             strings_can_be_null=True, quoted_strings_can_be_null=True),
    )
    del data
    info = TableInfo("csv", encoding, delimiter)
    frame = _apply_header(table.to_pandas(), info)
    _note_malformed(bad, len(frame), delimiter, path.name, info)
    return frame, info


def _note_malformed(bad: list[str], rows: int, delimiter: str, name: str, info: TableInfo) -> None:
    if not bad:
        return
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    if len(bad) > max(10, 0.1 * (rows + len(bad))):
        raise DataError(
            f"{len(bad)} rows of {name} have a different number of {shown}-separated fields than the header "
            f"(first: {bad[0]!r}): quote texts that contain the delimiter, or choose another delimiter."
        )
    info.malformed_rows = len(bad)
    info.notes.append(f"Skipped {len(bad)} malformed row(s) with the wrong number of fields (first: {bad[0]!r}).")


def _apply_header(raw: pd.DataFrame, info: TableInfo) -> pd.DataFrame:
    """Use the first row as column names when it looks like a header, else column_1, column_2, ..."""
    if len(raw) == 0:
        raise DataError("The file has no rows: export the data again with a header row and labelled examples.")
    first = [None if pd.isna(v) else str(v) for v in raw.iloc[0].tolist()]
    rest = [[None if pd.isna(v) else str(v) for v in raw.iloc[1:501, i].tolist()] for i in range(raw.shape[1])]
    info.has_header = looks_like_header(first, rest)
    frame = raw.iloc[1:].reset_index(drop=True) if info.has_header else raw
    frame.columns = header_names(first if info.has_header else [None] * raw.shape[1])
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return _arrow_to_strings(pq.read_table(path))


def _read_excel(path: Path) -> tuple[pd.DataFrame, TableInfo]:
    with pd.ExcelFile(path, engine="openpyxl") as book:
        sheets = book.sheet_names
        raw = pd.read_excel(book, sheet_name=sheets[0], header=None, dtype=object)
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    info = TableInfo("excel")
    if raw.empty:
        raise DataError(f"The first sheet of {path.name} is empty: put the header row and examples there.")
    if len(sheets) > 1:
        info.notes.append(f"Read the first sheet '{sheets[0]}' of {len(sheets)}; move the data there if it is elsewhere.")
    frame = raw.map(_cell).astype("string").reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    return _apply_header(frame, info), info


def _read_json(data: bytes, name: str) -> pd.DataFrame:
    text = data.decode("utf-8")
    if not text.lstrip().startswith("["):
        try:
            import pyarrow.json as pajson

            return _arrow_to_strings(pajson.read_json(io.BytesIO(data)))
        except Exception:  # mixed types or bad lines: the slow path below finds the line to report
            pass
    records = _json_records(text, name)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(f"{name} must hold JSON objects like {{\"text\": \"...\", \"label\": \"...\"}}, one per line.")
    if not records:
        raise DataError(f"{name} has no records: add one JSON object per line.")
    frame = pd.DataFrame.from_records(records)
    frame.columns = header_names([str(c) for c in frame.columns])
    return frame.map(_cell).astype("string")


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
                raise DataError(
                    f"Line {number} of {name} is not valid JSON ({exc.msg}): each line must be one object like "
                    '{"text": "...", "label": "..."}.'
                ) from exc
    return records


def _arrow_to_strings(table: Any) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            columns[str(name)] = pc.cast(column, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            columns[str(name)] = pa.array([_cell(v) for v in column.to_pylist()], pa.string())
    names = header_names(list(columns))
    return pa.table(dict(zip(names, columns.values(), strict=True))).to_pandas().astype("string")


def _cell(value: Any) -> str | None:
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
