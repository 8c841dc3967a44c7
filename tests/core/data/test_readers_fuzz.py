"""Property-based fuzzing of the reader: any bytes, text or table either loads as a valid labelled
table or raises DataError — never another exception; an unclosed quote anywhere is refused at its line,
and files joined with their headers never turn the header into a class."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import LABEL, TEXT, load_labelled, read_table
from core.errors import DataError

FUZZ = settings(max_examples=int(os.environ.get("TUNESCOPE_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = st.sampled_from([".csv", ".tsv", ".txt", ".jsonl", ".json", ".xlsx", ".parquet"])
CELL = st.one_of(st.none(), st.text(max_size=30), st.integers(-5, 5).map(str), st.sampled_from(["1.0", " a ", '"', ""]))


def _check(path: Path) -> None:
    try:
        loaded = load_labelled(path)
    except DataError as exc:
        assert str(exc).strip()
        return
    frame = loaded.frame
    assert list(frame.columns)[0] == TEXT and list(frame.columns)[-1] == LABEL
    assert len(loaded.labels) >= 2 and len(frame) == loaded.report.rows_kept
    assert not frame.isna().any().any() and (frame[TEXT] != "").all()
    assert set(frame[LABEL]) == set(loaded.labels)


def _write(data: bytes, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(data=st.binary(max_size=2000), suffix=SUFFIXES)
def test_any_bytes(data: bytes, suffix: str) -> None:
    _check(_write(data, suffix))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('ab ,;\t|"\n\r\'1.0xé{}[]:')), max_size=300),
       suffix=SUFFIXES, encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]))
def test_delimiter_and_quote_soup(text: str, suffix: str, encoding: str) -> None:
    _check(_write(text.encode(encoding, errors="replace"), suffix))


@FUZZ
@given(rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=0, max_size=25),
       header=st.booleans(), sep=st.sampled_from([",", "\t", ";", "|"]))
def test_generated_tables(rows: list[tuple], header: bool, sep: str) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    path = _write(frame.to_csv(sep=sep, index=False, header=header).encode("utf-8"), ".csv")
    try:
        table, info = read_table(path)
    except DataError:
        return
    assert table.shape[1] >= 1 and info.format == "csv"
    _check(path)


SECRET = "SECRET-TOKEN-123"
WORDS = st.sampled_from(["good", "bad", "film", "plot", "a", "café", "12\"", "it's", "so-so", "x,y", 'say "hi"', "3", "naïve"])
TEXTS = st.lists(WORDS, min_size=2, max_size=8).map(" ".join)
ROWS = st.lists(st.tuples(TEXTS, st.sampled_from(["pos", "neg", "meh"])), min_size=6, max_size=40)


def _csv_text(rows: list[tuple[str, str]], sep: str, header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    if header:
        writer.writerow(["text", "label"])
    writer.writerows(rows)
    return out.getvalue()


@FUZZ
@given(rows=ROWS, at=st.integers(0, 39), sep=st.sampled_from([",", "\t", ";", "|"]), trailing=st.booleans())
def test_an_unclosed_quote_anywhere_is_refused_at_its_line(rows: list[tuple[str, str]], at: int, sep: str,
                                                           trailing: bool) -> None:
    at = min(at, len(rows))
    broken = f'"{SECRET} {rows[0][0].replace(chr(34), "")}{sep}pos\n'
    text = _csv_text(rows[:at], sep) + broken + _csv_text(rows[at:], sep, header=False)
    path = _write(text.encode() if trailing else text.rstrip("\n").encode(), ".csv")
    try:
        load_labelled(path)
    except DataError as exc:
        assert f"line {at + 2:,} " in str(exc) and SECRET not in str(exc), str(exc)
        return
    raise AssertionError("an unclosed quote was read as data")


@FUZZ
@given(first=ROWS, second=ROWS, sep=st.sampled_from([",", "\t", ";"]))
def test_joined_files_never_make_the_header_a_class(first: list[tuple[str, str]], second: list[tuple[str, str]],
                                                    sep: str) -> None:
    path = _write((_csv_text(first, sep) + _csv_text(second, sep)).encode(), ".csv")
    try:
        loaded = load_labelled(path)
    except DataError as exc:
        assert "label" in str(exc) or "class" in str(exc)  # e.g. a single class: never about the header
        return
    assert "label" not in loaded.labels and loaded.report.dropped.get("repeated header") == 1
    assert any(f"appears again on line(s) {len(first) + 2:,} " in w for w in loaded.report.warnings)
