"""Turn the bytes of a labelled file into a table of strings, and say how it was read.

Recognises a file by its content as well as its name: CSV/TSV and other single-character
delimiters (sniffed), JSON Lines or a JSON array of records, Parquet and Excel (.xlsx). Detects the
encoding (UTF-8 with or without BOM, UTF-16/32 with BOM, cp1252/latin-1 and others through
charset-normalizer) and whether the first row is a header; headerless files get ``column_1``,
``column_2``, ... Refuses images, archives, binary data and broken quoting with a :class:`DataError`
that says how to fix the file. Choosing columns and cleaning labels is ``core.data``'s job; the
delimiter sniffing and header heuristics live in ``core.sniff``.
"""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError
from core.sniff import find_unclosed_quote, header_names, looks_like_header, sniff_delimiter

EXPORT_HINT = "export the data as CSV (UTF-8), TSV, JSONL, Parquet or .xlsx"
NOT_TABLES = [  # (magic bytes, what it is)
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"), (b"BM", "a BMP image"), (b"SQLite format 3", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file (.xls)"), (b"\x7fELF", "a program"),
]
BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
]
WESTERN = {"cp1252", "cp1250", "latin_1", "iso8859_15", "cp850", "cp857", "cp437", "mac_roman", "iso8859_2",
           "cp1254", "iso8859_9", "cp858", "cp775", "cp1257", "iso8859_13", "mac_latin2", "ascii", "utf_8"}
SAMPLE_BYTES = 256 * 1024
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
        data, encoding = _to_utf8(raw, path.name)
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


def _to_utf8(raw: bytes, name: str) -> tuple[bytes, str]:
    """The file as UTF-8 bytes without BOM, and the encoding it was in."""
    for bom, codec, label in BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise DataError(f"{name} starts with a {label} marker but is not valid {label}: save it again.") from exc
            return (raw[len(bom):] if codec == "utf-8" else text.encode("utf-8")), label
    sample = raw[:SAMPLE_BYTES]
    if sample.count(b"\x00") > len(sample) // 4:
        codec = _bomless_utf16(sample)
        if codec is None:
            raise DataError(f"{name} contains binary data, not text: {EXPORT_HINT}.")
        return _decode_with(raw, codec, name).encode("utf-8"), codec
    if _valid_utf8(raw):
        encoding = "utf-8"
        data = raw
    else:
        encoding = _legacy_encoding(raw)
        data = _decode_with(raw, encoding, name).encode("utf-8")
    _refuse_binary(data[:SAMPLE_BYTES].decode("utf-8", errors="ignore"), name)
    return data, encoding


def _valid_utf8(raw: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(raw), 1 << 22):
            decoder.decode(raw[start:start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bomless_utf16(sample: bytes) -> str | None:
    even = sample[0::2].count(b"\x00")
    odd = sample[1::2].count(b"\x00")
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _legacy_encoding(raw: bytes) -> str:
    """charset-normalizer's guess when it names a non-Western script, else cp1252 (latin-1 as the last resort)."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:SAMPLE_BYTES]).best()
    guess = best.encoding if best is not None else None
    candidates = ([guess] if guess and guess not in WESTERN else []) + ["cp1252", "latin-1"]
    for candidate in candidates:
        try:
            raw.decode(candidate)
            return candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return "latin-1"


def _decode_with(raw: bytes, codec: str, name: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not valid {codec} text: save it again as UTF-8.") from exc


def _refuse_binary(sample: str, name: str) -> None:
    if not sample:
        return
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v" or ord(ch) in (0x7F, 0xFFFD))
    if control > max(2, 0.01 * len(sample)):
        raise DataError(f"{name} contains binary data, not text: {EXPORT_HINT}.")


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
