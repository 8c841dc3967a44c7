"""Turn the bytes of a labelled file into a table of strings, and say how it was read.

Recognises a file by its content as well as its name: CSV/TSV and other single-character
delimiters (sniffed), JSON Lines or a JSON array of records, Parquet and Excel (.xlsx), and a CSV, TSV or
JSON table compressed with gzip, bzip2 or xz or alone in a zip (``core.data.compressed`` checks what a
compressed file expands to before anything parses it; ``core.data.limits`` bounds every table). Detects the
encoding (UTF-8 with or without BOM, UTF-16/32 with BOM, cp1252/latin-1 and others through
charset-normalizer) and whether the first row is a header; headerless files get ``column_1``,
``column_2``, ... Refuses images, archives, web pages, binary data and broken quoting with a
:class:`DataError` that says how to fix the file, naming the file as the user knows it
(``core.data.uploads.shown_name``) and never quoting its content. Delimited text is
``core.data.delimited``'s, the header and title rows ``core.data.table``'s; choosing columns and
cleaning labels is ``core.data.columns``' and ``core.data.labelled``'s job.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.data import compressed
from core.data.delimited import read_delimited
from core.data.encoding import BOMS, EXPORT_HINT, SAMPLE_BYTES, remove_stray_bytes, to_utf8
from core.data.limits import check_frame, expanded_limit
from core.data.records import arrow_to_strings, cell_text, read_json
from core.data.table import TableInfo, apply_header, note_skipped, short
from core.data.uploads import shown_name
from core.errors import DataError

__all__ = ["TableInfo", "read_any"]

NOT_TABLES = [  # (magic bytes, what it is)
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"), (b"BM", "a BMP image"), (b"SQLite format 3", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office file (.xls)"), (b"\x7fELF", "a program"),
]
MARKUP = [(b"<!doctype html", "a web page (HTML)"), (b"<html", "a web page (HTML)"), (b"<head", "a web page (HTML)"),
          (b"<body", "a web page (HTML)"), (b"<?xml", "an XML document"), (b"<!--", "a web page or XML document")]
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PACKED = ("zip", *compressed.STREAMS)


def read_any(path: Path, max_bytes: int) -> tuple[pd.DataFrame, TableInfo]:
    """Read ``path`` into a DataFrame whose cells are strings or missing (see module docstring)."""
    name = shown_name(path)
    _check_file(path, name, max_bytes)
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    limit = expanded_limit(max_bytes)
    try:
        kind = _content_kind(path.suffix.lower(), name, head)
        members = compressed.zip_members(path, name) if kind == "zip" else []
        if kind == "zip" and any(m.filename == "xl/workbook.xml" for m in members):
            compressed.check_excel(path, name, members, limit)
            return _read_excel(path, name)
        if kind == "parquet":
            return arrow_to_strings(compressed.read_parquet(path, name, limit), name), TableInfo("parquet")
        suffix = path.suffix.lower()
        if kind in PACKED:
            raw, inner = _unpacked(path, name, kind, members, limit)
            suffix = Path(inner).suffix.lower()
            kind = _content_kind(suffix, name, raw[:SAMPLE_BYTES])
            if kind not in ("json", "text"):
                raise DataError(f"{name} holds a compressed file or workbook inside: unpack it and choose the table "
                                "(CSV, TSV, JSONL, Parquet or .xlsx).")
        else:
            raw = path.read_bytes()
        return _read_text(raw, name, suffix, kind)
    except DataError:
        raise
    except MemoryError as exc:
        raise DataError(f"{name} does not fit in memory: sample it down and try again.") from exc
    except Exception as exc:  # parsers raise many types, and their messages may quote the file: one sentence instead
        raise DataError(f"Could not read {name} as a table ({type(exc).__name__}): {EXPORT_HINT}.") from exc


def _unpacked(path: Path, name: str, kind: str, members: list, limit: int) -> tuple[bytes, str]:
    """The bytes of the table inside a gzip, bzip2, xz or zip file, and that table's file name."""
    if kind != "zip":
        return compressed.decompress(path, name, kind, limit), compressed.inner_name(name)
    if any(m.filename.startswith("word/") for m in members):
        raise DataError(f"{name} is a Word document, not a table: {EXPORT_HINT}.")
    return compressed.zipped_table(path, name, members, limit)


def _read_text(raw: bytes, name: str, suffix: str, kind: str) -> tuple[pd.DataFrame, TableInfo]:
    data, encoding = to_utf8(raw, name)
    del raw
    data, notes = remove_stray_bytes(data)
    if kind == "json" or _looks_like_json_lines(data):
        kind = "json" if data.lstrip().startswith(b"[") else "jsonl"
        frame, found = read_json(data, name)
        info = TableInfo(kind, encoding, notes=found)
    else:
        frame, info = read_delimited(data, name, suffix, encoding)
    info.notes[:0] = notes
    return frame, info


def _check_file(path: Path, name: str, max_bytes: int) -> None:
    if not path.exists():
        raise DataError(f"{name} does not exist: check the path.")
    if path.is_dir():
        raise DataError(f"{name} is a folder: give a labelled file (CSV, TSV, JSONL, Parquet or Excel).")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{name} is empty: export the data again with a header row and at least two classes.")
    if size > max_bytes:
        raise DataError(
            f"{name} is {size / 1024**2:,.0f} MB, over the {max_bytes / 1024**2:,.0f} MB limit: sample it down "
            "or raise the limit (TUNESCOPE_MAX_FILE_MB)."
        )


def _content_kind(suffix: str, name: str, head: bytes) -> str:
    """'parquet', 'zip', 'gzip', 'bzip2', 'xz', 'json' or 'text'; refuses known non-table formats by their magic bytes."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    stream = compressed.stream_kind(head)
    if stream:
        return stream
    if not head.startswith(tuple(bom for bom, _, _ in BOMS)):
        for magic, what in NOT_TABLES:
            if head.startswith(magic) and not (magic == b"BM" and suffix in (".csv", ".tsv", ".txt")):
                raise DataError(f"{name} is {what}, not a table: {EXPORT_HINT}.")
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:16].lower()
    for magic, what in MARKUP:
        if start.startswith(magic):
            raise DataError(f"{name} is {what}, not a table (an error page saved instead of the data?): download or "
                            f"{EXPORT_HINT}.")
    if suffix in EXCEL_SUFFIXES:
        raise DataError(f"{name} is named like an Excel workbook but is not one: save it again as .xlsx or CSV.")
    if suffix in (".parquet", ".pq"):
        raise DataError(f"{name} is named like a Parquet file but is not one: write it again as Parquet or CSV.")
    return "json" if suffix in JSON_SUFFIXES else "text"


def _looks_like_json_lines(data: bytes) -> bool:
    first = data.lstrip()[:1]
    if first != b"{":
        return False
    line = data.lstrip().split(b"\n", 1)[0].rstrip()
    return line.endswith(b"}")


def _read_excel(path: Path, name: str) -> tuple[pd.DataFrame, TableInfo]:
    with pd.ExcelFile(path, engine="openpyxl") as book:
        sheets = book.sheet_names
        raw = pd.read_excel(book, sheet_name=sheets[0], header=None, dtype=object)
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    info = TableInfo("excel")
    if raw.empty:
        raise DataError(f"The first sheet of {name} is empty: put the header row and examples there.")
    if len(sheets) > 1:
        info.notes.append(f"Read the first sheet '{short(sheets[0])}' of {len(sheets)}; move the data there if it is "
                          "elsewhere.")
    sheet_rows = raw.index.to_numpy() + 1
    frame = raw.map(cell_text).astype("string").reset_index(drop=True)
    check_frame(name, frame)
    frame.columns = range(frame.shape[1])
    head = apply_header(frame)
    info.has_header = head.has_header
    note_skipped(info, head, lambda position: int(sheet_rows[position]), where="sheet row")
    return head.frame, info
