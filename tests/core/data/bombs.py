"""Small files that expand to huge ones, built in a blink: one deflate block repeated (each copy stands alone
after a full flush), gzip members, bzip2 and xz streams one after another, a Parquet column that repeats
one long value. Used by ``test_hostile.py``; nothing here reads them.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import struct
import zlib
from pathlib import Path

MB = 1024**2
XML_ROWS = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' * (MB // 74)
CSV_ROWS = b"a fine film,pos\nan awful film,neg\n" * (MB // 34)


def deflated(chunk: bytes, times: int, head: bytes = b"", tail: bytes = b"") -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head``, ``chunk`` repeated ``times`` times and ``tail``, its CRC-32 and its
    expanded size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return first + block * times + last, zlib.crc32(tail, crc), len(head) + len(chunk) * times + len(tail)


def write_zip(path: Path, members: dict[str, bytes | tuple[bytes, int, int]]) -> Path:
    """A zip whose members are plain bytes or ``deflated(...)`` streams (sizes under 4 GB)."""
    local, central = bytearray(), bytearray()
    for name, content in members.items():
        data, crc, size = content if isinstance(content, tuple) else deflated(content, 1)
        encoded = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, len(local)) + encoded
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        local += encoded + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def xlsx_bomb(path: Path, sheet_mb: int) -> Path:
    """A workbook of a few MB whose one sheet expands to ``sheet_mb`` MB of rows."""
    sheet = deflated(XML_ROWS, sheet_mb, b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
                     b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>', b"</sheetData></worksheet>")
    workbook = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
                b'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" '
                b'r:id="rId1"/></sheets></workbook>')
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.xml"/></Relationships>')
    return write_zip(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": workbook,
                            "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": sheet})


def gzip_bomb(path: Path, mb: int, members: bool = False) -> Path:
    """One gzip member that says it expands to ``mb`` MB, or (``members``) many 1 MB members that each say 1 MB."""
    if members:
        path.write_bytes(gzip.compress(CSV_ROWS, 9) * mb)
        return path
    data, crc, size = deflated(CSV_ROWS, mb, b"text,label\n")
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + data + struct.pack("<II", crc, size % 2**32))
    return path


def stream_bomb(path: Path, kind: str, mb: int) -> Path:
    """``mb`` bzip2 or xz streams of 1 MB each, one after another (both formats allow it)."""
    chunk = b" " * MB  # runs of one byte: both compressors are fast on them
    one = bz2.compress(chunk, 9) if kind == "bz2" else lzma.compress(chunk, preset=1)
    path.write_bytes(one * mb)
    return path


def parquet_bomb(path: Path, rows: int, value_chars: int) -> Path:
    """A Parquet file of one text column repeating one ``value_chars``-character value: dictionary-encoded, tiny."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * value_chars]))
    labels = pa.DictionaryArray.from_arrays(pa.array(np.arange(rows, dtype=np.int32) % 2), pa.array(["pos", "neg"]))
    pq.write_table(pa.table({"text": column, "label": labels}), path, compression="zstd")
    return path
