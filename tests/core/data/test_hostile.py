"""Hostile files are refused quickly, in one sentence naming the limit, without being expanded or parsed.

Decompression bombs of every compressed format (.xlsx, Parquet, gzip, bzip2, xz, a zip holding a CSV) are
built here, a few MB each, expanding to a GB or more; one child process reads them all and reports how
much its peak memory grew, so a reader that expanded a bomb shows up whatever ran before in this process.
Pathological plain files (50,000 columns, a 100 MB line, JSON nested a million levels, 100,000 keys) get a
true sentence too. Nothing here measures wall-clock time.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core.data import load_labelled, read_table
from core.data.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ZIP_MEMBERS, check_shape
from core.errors import DataError
from tests.core.data import bombs

ROOT = Path(__file__).resolve().parents[3]
SECRET = "SECRET-TOKEN-123"
MB = 1024**2
PROBE = """
import json, resource, sys
import pandas, pyarrow.parquet
from core.data import read_table
from core.errors import DataError
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
answers = {}
for path, limit in json.loads(sys.argv[1]):
    try:
        read_table(path, limit)
        answers[path] = None
    except DataError as exc:
        answers[path] = str(exc)
answers["grown_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps(answers))
"""


def refusal(path: Path, max_bytes: int | None = None) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, max_bytes)
    message = str(info.value)
    assert "\n" not in message and SECRET not in message and len(message) < 400, message
    return message


def test_a_bomb_of_each_compressed_format_is_refused_without_expanding_it(tmp_path: Path) -> None:
    cases = {  # file: (max_bytes or None for the defaults, what the sentence says)
        bombs.xlsx_bomb(tmp_path / "report.xlsx", 1024): (None, "expands to more than 500 MB; the limit is 500 MB"),
        bombs.xlsx_bomb(tmp_path / "rows.xlsx", 400): (None, "rows; the limit is 5,000,000"),
        bombs.gzip_bomb(tmp_path / "one.csv.gz", 1024): (None, "expands more than 100-fold"),
        bombs.gzip_bomb(tmp_path / "many.csv.gz", 64, members=True): (16 * MB, "expands to more than 16 MB"),
        bombs.stream_bomb(tmp_path / "data.csv.bz2", "bz2", 2048): (None, "expands more than 100-fold"),
        bombs.stream_bomb(tmp_path / "data.csv.xz", "xz", 2048): (None, "expands more than 100-fold"),
        bombs.write_zip(tmp_path / "zipped.zip", {"data.csv": bombs.deflated(bombs.CSV_ROWS, 1024, b"text,label\n")}):
            (None, "expands to more than 500 MB"),
        bombs.parquet_bomb(tmp_path / "repeated.parquet", 200_000, 100_000): (None, "expands to more than 500 MB"),
        bombs.parquet_bomb(tmp_path / "long.parquet", 6_000_000, 1): (None, "rows; the limit is 5,000,000"),
    }
    assert all(path.stat().st_size < 8 * MB for path in cases)
    wanted = json.dumps([[str(path), limit] for path, (limit, _) in cases.items()])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, wanted], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900, check=True)
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for path, (_, expected) in cases.items():
        message = answers[str(path)]
        assert message and expected in message and path.name in message and "\n" not in message, (path.name, message)
        assert str(tmp_path) not in message
    assert answers["grown_mb"] < 160, answers  # the bombs expand to 0.4-20 GB each; the readers stop within 70 MB


def test_the_refusal_says_what_to_do(tmp_path: Path) -> None:
    message = refusal(bombs.xlsx_bomb(tmp_path / "report.xlsx", 1024))
    assert message == "report.xlsx expands to more than 500 MB; the limit is 500 MB: split the file or save it as CSV."
    assert "send the table uncompressed" in refusal(bombs.stream_bomb(tmp_path / "d.csv.bz2", "bz2", 256))


def _plain(tmp_path: Path) -> tuple[bytes, pd.DataFrame]:
    content = ("text,label\n" + "".join(f"film {i} was {'good' if i % 2 else 'bad'},{'pos' if i % 2 else 'neg'}\n"
                                        for i in range(60))).encode()
    plain = tmp_path / "plain.csv"
    plain.write_bytes(content)
    return content, read_table(plain)[0]


@pytest.mark.parametrize("name", ["reviews.csv.gz", "reviews.csv.bz2", "reviews.csv.xz", "reviews.zip", "reviews.gz"])
def test_compressed_tables_are_read_like_the_plain_file(tmp_path: Path, name: str) -> None:
    content, expected = _plain(tmp_path)
    path = tmp_path / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("reviews.csv", content)
            archive.writestr("__MACOSX/._reviews.csv", b"\x00\x05")
    else:
        path.write_bytes({"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[name.rsplit(".", 1)[1]](content))
    frame, info = read_table(path)
    pd.testing.assert_frame_equal(frame, expected)
    assert info.format == "csv"
    assert load_labelled(path).report.rows_kept == 60


def test_compressed_json_lines_are_read(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"text": f"film {i}", "label": "ab"[i % 2]}) + "\n" for i in range(40))
    path = tmp_path / "reviews.jsonl.gz"
    path.write_bytes(gzip.compress(lines.encode()))
    frame, info = read_table(path)
    assert info.format == "jsonl" and len(frame) == 40


def test_archives_that_are_not_one_table_are_refused(tmp_path: Path) -> None:
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("inner.csv.gz", gzip.compress(b"text,label\na,b\n"))
    assert "nested.zip holds one file that is not a CSV, TSV or JSON table: unzip it" in refusal(nested)
    inner = tmp_path / "book.csv.gz"
    inner.write_bytes(gzip.compress(bombs.write_zip(tmp_path / "x.zip", {"a.csv": b"a"}).read_bytes()))
    assert "holds a compressed file or workbook inside" in refusal(inner)
    damaged = tmp_path / "cut.csv.gz"
    damaged.write_bytes(gzip.compress(b"text,label\n" + SECRET.encode() * 1000)[:-12])
    assert "damaged gzip file" in refusal(damaged)
    many = bombs.write_zip(tmp_path / "many.zip", {f"f{i}.csv": b"" for i in range(MAX_ZIP_MEMBERS + 1)})
    assert f"is a zip of {MAX_ZIP_MEMBERS + 1:,} files; the limit is {MAX_ZIP_MEMBERS:,}" in refusal(many)


def test_a_wide_file_gets_a_true_sentence(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(50_000)) + "\n" + ",".join("x" for _ in range(50_000)) + "\n")
    assert refusal(path) == (f"wide.csv has 50,000 columns; the limit is {MAX_COLUMNS:,}: keep the text and label "
                             "columns (and a few others) and save it again.")
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_text(json.dumps({f"k{i}": i for i in range(100_000)}) + "\n")
    assert f"wide.jsonl has 100,000 columns; the limit is {MAX_COLUMNS:,}" in refusal(jsonl)
    whole = tmp_path / "wide.json"
    whole.write_text(json.dumps({f"k{i}": [i] for i in range(300_000)}))
    assert "wide.json has 300,000 columns" in refusal(whole)


def test_a_giant_line_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    with open(path, "wb") as handle:
        handle.write(b"text,label\n")
        for _ in range(101):
            handle.write(SECRET.encode() * (MB // len(SECRET)) + b"x" * (MB % len(SECRET)))
        handle.write(b",pos\n")
    message = refusal(path)
    assert message.startswith(f"line.csv has a cell of {101 * MB:,} bytes on line 2; the limit is {MAX_CELL_CHARS:,} "
                              "characters")


def test_deep_json_is_refused_not_recursed(tmp_path: Path) -> None:
    for name, content in (("deep.json", "[" * 1_000_000 + "]" * 1_000_000),
                          ("deep.jsonl", ('{"text": ' + "[" * 100_000 + "]" * 100_000 + ', "label": "a"}\n') * 2),
                          ("nested.jsonl", '{"text": "a", "label": "b"}\n' + ('{"text": ' + "[" * 70 + "]" * 70
                                                                               + ', "label": "a"}\n') * 2)):
        path = tmp_path / name
        path.write_text(content)
        assert "nests JSON values more than 64 levels deep; the limit is 64" in refusal(path), name
    shallow = tmp_path / "shallow.jsonl"
    shallow.write_text("".join(json.dumps({"text": [[["a"]]], "label": "ab"[i % 2]}) + "\n" for i in range(10)))
    assert read_table(shallow)[0]["text"][0] == '[[["a"]]]'


def test_the_table_limits_each_name_their_limit() -> None:
    for rows, columns, expected in ((5_000_001, 2, "x.csv has 5,000,001 rows; the limit is 5,000,000: split the file"),
                                    (10_001, 2_000, "x.csv has 20,002,000 cells; the limit is 20,000,000: drop the"),
                                    (3, 2_001, "x.csv has 2,001 columns; the limit is 2,000")):
        with pytest.raises(DataError) as info:
            check_shape("x.csv", rows, columns)
        assert str(info.value).startswith(expected)
    check_shape("x.csv", 5_000_000, 4)  # at the limits: fine
