"""Decode a text file's bytes to UTF-8, whatever it was saved as.

UTF-8 with or without BOM, UTF-16/32 with BOM, BOM-less UTF-16 (found by its zero bytes), and
legacy code pages (charset-normalizer's guess for non-Western scripts, else cp1252, latin-1 last).
Refuses binary data with a :class:`DataError`; :func:`remove_stray_bytes` drops NUL bytes and byte
order marks inside the text (a damaged save, files joined together) and says on which line. Messages
name the file and lines, never its content. Parsing the decoded text is ``core.data.readers``' job.
"""

from __future__ import annotations

import codecs

from core.errors import DataError

EXPORT_HINT = "export the data as CSV (UTF-8), TSV, JSONL, Parquet or .xlsx"
SAMPLE_BYTES = 256 * 1024


BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
]


STRAY = ((b"\x00", "NUL byte(s) (a damaged save?)"),
         (codecs.BOM_UTF8, "byte order mark(s) inside the text (files joined together?)"))
WESTERN = {"cp1252", "cp1250", "latin_1", "iso8859_15", "cp850", "cp857", "cp437", "mac_roman", "iso8859_2",
           "cp1254", "iso8859_9", "cp858", "cp775", "cp1257", "iso8859_13", "mac_latin2", "ascii", "utf_8"}


def to_utf8(raw: bytes, name: str) -> tuple[bytes, str]:
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
        return decode_with(raw, codec, name).encode("utf-8"), codec
    if _valid_utf8(raw):
        encoding = "utf-8"
        data = raw
    else:
        encoding = _legacy_encoding(raw)
        data = decode_with(raw, encoding, name).encode("utf-8")
    _refuse_binary(data[:SAMPLE_BYTES].decode("utf-8", errors="ignore"), name)
    return data, encoding


def remove_stray_bytes(data: bytes) -> tuple[bytes, list[str]]:
    """UTF-8 ``data`` without NUL bytes and byte order marks, and one note per kind removed, naming the first line."""
    notes = []
    for stray, what in STRAY:
        first = data.find(stray)
        if first < 0:
            continue
        count = data.count(stray)
        line = data.count(b"\n", 0, first) + 1
        data = data.replace(stray, b"")
        notes.append(f"Removed {count:,} {what}, the first on line {line}: check the rows there.")
    return data, notes


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


def decode_with(raw: bytes, codec: str, name: str) -> str:
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
