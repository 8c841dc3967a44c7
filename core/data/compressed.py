"""Compressed tables, checked for their expanded size and shape before anything parses them.

An ``.xlsx`` is a zip: the declared sizes of its members (which ``zipfile`` never reads past) must stay
under the expanded limit, and its first sheet's rows and cells under ``core.data.limits``' before openpyxl
opens it (counted from the sheet's XML when its declared dimension is over a limit or the sheet is large).
A Parquet file's footer gives its rows, columns and uncompressed size, and its string columns are read
as dictionaries so a column repeating one long value is measured before it is expanded. A table inside
gzip, bzip2, xz or a zip holding one table file is decompressed in blocks up to the limit, and refused
as soon as it passes it. Messages name the file and the limit (``core.data.limits``); reading the
expanded bytes is ``core.data.readers``'.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from core.data.limits import (
    MAX_CELLS,
    MAX_ROWS,
    MAX_ZIP_MEMBERS,
    check_shape,
    refuse_expanded,
    refuse_ratio,
    too_dense,
)
from core.errors import DataError

BLOCK = 1 << 20
SHEET_SCAN = 64 * 1024  # bytes of a sheet's XML read for its <dimension>
COUNT_ABOVE = 32 * 1024**2  # a sheet whose XML is larger has its rows and cells counted, whatever it declares
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".json")
STREAMS = {"gzip": (b"\x1f\x8b", gzip.open), "bzip2": (b"BZh", bz2.open), "xz": (b"\xfd7zXZ\x00", lzma.open)}
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_TARGET = re.compile(rb"<Relationship\b[^>]*>")
ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")  # ':' for a namespace prefix (<x:row ...>)
CELL_TAGS = (b"<c ", b"<c>", b":c ", b":c>")


def stream_kind(head: bytes) -> str | None:
    """'gzip', 'bzip2' or 'xz' when ``head`` starts like one, else None."""
    return next((kind for kind, (magic, _) in STREAMS.items() if head.startswith(magic)), None)


def inner_name(name: str) -> str:
    """'reviews.csv.gz' -> 'reviews.csv': the name of the table a compressed file holds."""
    path = Path(name)
    return path.stem if path.suffix.lower() in (".gz", ".gzip", ".bz2", ".xz", ".zip") else name


def _read_capped(handle: Any, name: str, limit: int, consumed: Any) -> bytes:
    """Everything ``handle`` expands to, refused past ``limit`` or once it expands more than the ratio limit over the
    compressed bytes read so far (``consumed()``: a bomb is refused after a few MB, whatever it expands to)."""
    chunks, total = [], 0
    while chunk := handle.read(BLOCK):
        total += len(chunk)
        if total > limit:
            raise refuse_expanded(name, limit)
        if too_dense(total, consumed()):
            raise refuse_ratio(name, total)
        chunks.append(chunk)
    return b"".join(chunks)


def decompress(path: Path, name: str, kind: str, limit: int) -> bytes:
    """The bytes a gzip, bzip2 or xz file holds, refused once they pass ``limit`` or the ratio limit."""
    try:
        with open(path, "rb") as raw, STREAMS[kind][1](raw, "rb") as handle:
            return _read_capped(handle, name, limit, raw.tell)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DataError(f"{name} is a damaged {kind} file: compress the table again, or send it uncompressed.") from exc


def zip_members(path: Path, name: str) -> list[zipfile.ZipInfo]:
    """The members of a zip (or .xlsx), after checking how many it declares; one sentence for a damaged zip."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 66_000))
        tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end >= 0 and len(tail) >= end + 12:
        declared = struct.unpack("<H", tail[end + 10:end + 12])[0]
        if declared > MAX_ZIP_MEMBERS:
            raise DataError(f"{name} is a zip of {declared:,} files; the limit is {MAX_ZIP_MEMBERS:,}: unzip it and "
                            "choose the CSV (or other table) inside.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"{name} is a damaged zip or Excel file: export it again as .xlsx or CSV.") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise DataError(f"{name} is a zip of {len(members):,} files; the limit is {MAX_ZIP_MEMBERS:,}: unzip it and "
                        "choose the CSV (or other table) inside.")
    return members


def _declared(members: list[zipfile.ZipInfo], name: str, limit: int) -> None:
    if sum(member.file_size for member in members) > limit:
        raise refuse_expanded(name, limit)


def zipped_table(path: Path, name: str, members: list[zipfile.ZipInfo], limit: int) -> tuple[bytes, str]:
    """The one table file inside a zip (its bytes, its name); refused when there are several or none."""
    files = [m for m in members if not m.is_dir() and not m.filename.startswith("__MACOSX/")
             and not Path(m.filename).name.startswith(".")]
    tables = [m for m in files if Path(m.filename).suffix.lower() in TABLE_SUFFIXES]
    if len(files) != 1:
        raise DataError(f"{name} is a zip archive of {len(files):,} files: unzip it and choose the CSV (or other "
                        "table) inside, or zip one CSV, TSV or JSONL file alone.")
    if not tables:
        raise DataError(f"{name} holds one file that is not a CSV, TSV or JSON table: unzip it and check what it is.")
    _declared(tables, name, limit)
    try:
        with zipfile.ZipFile(path) as archive, archive.open(tables[0]) as handle:
            return (_read_capped(handle, name, limit, lambda: tables[0].compress_size),
                    Path(tables[0].filename).name)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise DataError(f"{name} is a damaged or encrypted zip: zip the table again without a password.") from exc


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The XML member of the workbook's first sheet (the one pandas reads)."""
    try:
        workbook = archive.open("xl/workbook.xml").read(1 << 20)
        rels = archive.open("xl/_rels/workbook.xml.rels").read(1 << 20)
    except (KeyError, OSError, zipfile.BadZipFile):
        return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None
    sheet = _SHEET.search(workbook)
    for tag in _TARGET.findall(rels):
        found = re.search(rb"\bId=\"([^\"]+)\"", tag), re.search(rb"\bTarget=\"([^\"]+)\"", tag)
        if sheet and found[0] and found[1] and found[0].group(1) == sheet.group(1):
            target = found[1].group(1).decode("utf-8", "replace")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _count(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Rows and cells in a sheet's XML, counted in blocks (each tag's text carried over a block's end)."""
    counts = dict.fromkeys(ROW_TAGS + CELL_TAGS, 0)
    tails = dict.fromkeys(counts, b"")
    with archive.open(member) as handle:
        while block := handle.read(BLOCK):
            for tag in counts:
                text = tails[tag] + block
                counts[tag] += text.count(tag)
                tails[tag] = text[-(len(tag) - 1):]
    return sum(counts[t] for t in ROW_TAGS), sum(counts[t] for t in CELL_TAGS)


def check_excel(path: Path, name: str, members: list[zipfile.ZipInfo], limit: int) -> None:
    """Refuse a workbook that expands past ``limit`` or whose first sheet is over the row or cell limits."""
    _declared(members, name, limit)
    sizes = {m.filename: m.file_size for m in members}
    with zipfile.ZipFile(path) as archive:
        sheet = _first_sheet(archive, set(sizes))
        if sheet not in sizes:
            return  # pandas reports a workbook without sheets
        head = archive.open(sheet).read(SHEET_SCAN)
        found = _DIMENSION.search(head)
        if found and found.group(3):
            rows = int(found.group(4)) - int(found.group(2)) + 1
            columns = _column_number(found.group(3)) - _column_number(found.group(1)) + 1
            if rows <= MAX_ROWS and rows * columns <= MAX_CELLS and sizes[sheet] <= COUNT_ABOVE:
                return  # the sheet is small and says so; the table is checked again once read
        elif sizes[sheet] <= COUNT_ABOVE:
            return
        rows, cells = _count(archive, sheet)
    check_shape(name, rows, 1, cells)


def read_parquet(path: Path, name: str, limit: int) -> Any:
    """A Parquet file's table, after its footer's rows, columns and uncompressed size and (for string columns,
    read as dictionaries) the size they expand to are checked against the limits."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)  # a damaged footer is the reader's 'Could not read' sentence
    meta, schema = parquet.metadata, parquet.schema_arrow
    check_shape(name, meta.num_rows, len(schema))
    if sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) > limit:
        raise refuse_expanded(name, limit)
    texts = [field.name for field in schema if pa.types.is_string(field.type) or pa.types.is_binary(field.type)]
    table = pq.ParquetFile(path, read_dictionary=texts).read()
    expanded = 0
    for column in table.columns:
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                lengths = pc.binary_length(chunk.dictionary)
                expanded += (pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0) + 8 * len(chunk)
            else:
                expanded += chunk.nbytes
        if expanded > limit:
            raise refuse_expanded(name, limit)
    return table
