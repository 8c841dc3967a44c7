"""Damaged and misleading files are refused or reported in one sentence that names the line or column,
never quotes the file, and names the file as the user uploaded it.

Every broken file here carries a secret marker in its content; no message may contain it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from core.data import Columns, LabelledData, load_labelled, read_table
from core.data.content import not_text
from core.data.sniff import find_unclosed_quote
from core.data.uploads import shown_name, store_upload
from core.errors import DataError

SECRET = "SECRET-TOKEN-123"


def rows(n: int = 40, sep: str = ",", start: int = 0) -> str:
    """``n`` lines of '<secret> text <i> ...<sep><pos|neg>'."""
    return "".join(f"{SECRET} film number {i} was fine{sep}{'pos' if i % 2 else 'neg'}\n" for i in range(start, start + n))


def refused(path: Path, columns: Columns | None = None) -> str:
    with pytest.raises(DataError) as info:
        load_labelled(path, columns)
    message = str(info.value)
    assert SECRET not in message and "\n" not in message and len(message) < 400
    return message


def reported(path: Path, columns: Columns | None = None) -> LabelledData:
    """The loaded file, after checking that no warning quotes its content."""
    loaded = load_labelled(path, columns)
    assert not any(SECRET in warning for warning in loaded.report.warnings), loaded.report.warnings
    return loaded


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- quoting: the line where the quote opens, whatever the delimiter, size or position ------------------------

QUOTES = {  # name: (content, line where the bad quote opens)
    "middle": ("text,label\n" + rows() + f'"{SECRET} opens here,pos\n' + rows(), 42),
    "last row": ("text,label\n" + rows() + f'"{SECRET} opens here,pos\n', 42),
    "last row, no newline": ("text,label\n" + rows() + f'"{SECRET} opens here,pos', 42),
    "first row": (f'text,label\n"{SECRET} opens here,pos\n' + rows(), 2),
    "odd quotes in a field": ("text,label\n" + rows() + f'"{SECRET} said "hi, ok",pos\n' + rows(), 42),
    "in the label": ("text,label\n" + rows() + f'{SECRET} x,"pos\n' + rows(), 42),
    "tab": ("text\tlabel\n" + rows(sep="\t") + f'"{SECRET} opens\tpos\n' + rows(sep="\t"), 42),
    "semicolon": ("text;label\n" + rows(sep=";") + f'"{SECRET} opens;pos\n' + rows(sep=";"), 42),
    "pipe": ("text|label\n" + rows(sep="|") + f'"{SECRET} opens|pos\n' + rows(sep="|"), 42),
    "crlf": (("text,label\n" + rows() + f'"{SECRET} opens,pos\n' + rows()).replace("\n", "\r\n"), 42),
    "cr only": (("text,label\n" + rows() + f'"{SECRET} opens,pos\n' + rows()).replace("\n", "\r"), 42),
    "after a good multi-line cell": (f'text,label\n"{SECRET} one\ntwo",pos\n' + rows() + f'"{SECRET} x,neg\n' + rows(), 44),
    "two unclosed (even count)": ("text,label\n" + rows() + f'"{SECRET} a,pos\n' + rows() + f'"{SECRET} b,neg\n' + rows(), 42),
    "closed rows later": ("text,label\n" + rows() + f'"{SECRET} a,pos\n' + rows() + f'{SECRET} b",neg\n' + rows(), 42),
    "large file": ("text,label\n" + rows(30_000) + f'"{SECRET} opens,pos\n' + rows(30_000), 30_002),
}


@pytest.mark.parametrize("case", list(QUOTES))
def test_broken_quotes_name_the_line_where_the_quote_opens(tmp_path: Path, case: str) -> None:
    content, line = QUOTES[case]
    message = refused(write(tmp_path, "quotes.csv", content))
    assert f"line {line:,} " in message and "quote" in message, message


def test_quotes_that_are_text_are_fine(tmp_path: Path) -> None:
    content = "text,label\n" + rows() + 'a 12" pizza,pos\n' + f'"{SECRET} a ""quoted"" word, and a comma",neg\n'
    content += f'"{SECRET} a text\nover two lines, like a,neg\nreview can be",pos\n' + rows()
    loaded = reported(write(tmp_path, "fine.csv", content))
    assert 'a 12" pizza' in loaded.frame["text"].tolist() and loaded.report.rows_kept == 83


def test_find_unclosed_quote_survives_huge_fields() -> None:
    cell = "x" * 200_000  # over the csv module's field limit
    text = f'text,label\n"{cell}",pos\nok,neg\n"{SECRET} open,pos\n'
    assert find_unclosed_quote(text, ",") == 4
    assert find_unclosed_quote(f'text,label\n"{cell}",pos\nok,neg\n', ",") is None


def test_huge_cells_are_read_and_reported(tmp_path: Path) -> None:
    content = "text,label\n" + rows() + "word " * 4_000_000 + ",pos\n" + rows()  # 20 MB, over a read block
    loaded = reported(write(tmp_path, "huge.csv", content))
    assert loaded.report.rows_kept == 81
    assert any("over 100,000 characters" in w and "'text'" in w for w in loaded.report.warnings)


# --- columns that do not hold text, labels that are not classes --------------------------------------------

def _column_file(tmp_path: Path, values: Callable[[int], str]) -> Path:
    frame = pd.DataFrame({"value": [values(i) for i in range(40)], "review": [f"{SECRET} film {i} was fine" for i in range(40)],
                          "label": ["ab"[i % 2] for i in range(40)]})
    frame.to_csv(tmp_path / "columns.csv", index=False)
    return tmp_path / "columns.csv"


NOT_TEXT = {
    "numbers": lambda i: f"{i * 1.5}", "ids or hashes": lambda i: f"A-{10023 + i}",
    "uuids": lambda i: f"3f2b1c9e-8d7a-4e2b-9c1d-0a1b2c3d{i:04d}", "hashes": lambda i: f"d41d8cd98f00b204e9800998ecf8{i:04d}",
    "dates or times": lambda i: f"2024-03-{1 + i % 28:02d} 10:{i:02d}:00", "clock": lambda i: f"{i % 12 + 1}:{i % 60:02d} pm",
    "links": lambda i: f"https://example.com/{SECRET}/{i}", "e-mail": lambda i: f"user{i}@example.com",
    "single characters": lambda i: "abcdefgh"[i % 8],
}


@pytest.mark.parametrize("kind", list(NOT_TEXT))
def test_a_named_text_column_without_text_is_refused_with_the_likely_one(tmp_path: Path, kind: str) -> None:
    message = refused(_column_file(tmp_path, NOT_TEXT[kind]), Columns(text="value"))
    assert "The text column 'value' holds" in message and "choose 'review'" in message


@pytest.mark.parametrize("kind", list(NOT_TEXT))
def test_a_guessed_text_column_is_never_one_without_text(tmp_path: Path, kind: str) -> None:
    assert load_labelled(_column_file(tmp_path, NOT_TEXT[kind])).report.text_column == "review"
    only = pd.DataFrame({"value": [NOT_TEXT[kind](i) for i in range(40)], "label": ["ab"[i % 2] for i in range(40)]})
    only.to_csv(tmp_path / "only.csv", index=False)
    assert "No column holds text: the likeliest, 'value'" in refused(tmp_path / "only.csv")


SHORT_TEXTS = ["ok", "lol", '"3 stars, would buy again"', "很好", "这个产品很好用", "iPhone 15 Pro", "meh", "no",
               "2 good", "10/10 would recommend", "A+", "😀 great"]


def test_short_legitimate_texts_are_text(tmp_path: Path) -> None:
    path = write(tmp_path, "short.csv", "text,label\n" + "".join(f"{t},{'ab'[i % 2]}\n" for i, t in enumerate(SHORT_TEXTS * 4)))
    loaded = load_labelled(path, Columns(text="text"))
    assert loaded.report.rows_kept == len(SHORT_TEXTS) * 4
    assert not_text(pd.Series(["好", "赞", "差", "行"])) is None  # one-character texts in Chinese are words


@pytest.mark.parametrize(("labels", "why"), [
    (lambda i: f"{i * 0.37:.2f}", "with decimals"), (lambda i: f"{1 + (i % 13) / 3:.3f}", "with decimals"),
    (lambda i: str(1900 + i * 3), "40 different numbers"),
])
def test_continuous_labels_are_refused(tmp_path: Path, labels: Callable[[int], str], why: str) -> None:
    path = write(tmp_path, "scores.csv", "text,score\n" + "".join(f"{SECRET} film {i},{labels(i)}\n" for i in range(40)))
    message = refused(path)
    assert "'score' holds a measurement" in message and why in message and "bin it" in message


@pytest.mark.parametrize("labels", [lambda i: str(i % 2), lambda i: str(1 + i % 5), lambda i: str(i % 40),
                                    lambda i: ["0.5", "1.0", "1.5"][i % 3], lambda i: ["1.1", "2.0", "3.2"][i % 3],
                                    lambda i: f"{1 + (i % 9) / 2}"])  # half-star ratings 1.0 ... 5.0 are classes
def test_class_ids_and_numbered_categories_stay_labels(tmp_path: Path, labels: Callable[[int], str]) -> None:
    path = write(tmp_path, "ids.csv", "text,label\n" + "".join(f"{SECRET} film {i},{labels(i)}\n" for i in range(400)))
    assert len(load_labelled(path).labels) >= 2


def test_a_label_column_of_ids_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "idlabel.csv", "text,label\n" + "".join(f"{SECRET} film {i},{SECRET}-{i}\n" for i in range(40)))
    assert "40 different values in 40 rows" in refused(path)


def test_a_label_holding_a_text_is_dropped_and_counted(tmp_path: Path) -> None:
    odd = f"{SECRET} film,{SECRET} this whole review ended up in the label column somehow\n"
    loaded = reported(write(tmp_path, "shifted.csv", "text,label\n" + rows() + odd))
    assert loaded.labels == ["neg", "pos"] and loaded.report.dropped == {"text-like label": 1}


def test_one_class_nearly_everywhere_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "dominant.csv", "text,label\n" + "".join(f"film {i},a\n" for i in range(999)) + "other,b\n")
    assert any("'a' is 99.9% of the rows" in w for w in load_labelled(path).report.warnings)


# --- rows that are not data: repeated headers, title rows ----------------------------------------------------

@pytest.mark.parametrize("copy", ["text,label", "label,text", '"text","label"', " text , label ", "\ufefftext,label"])
def test_a_repeated_header_is_dropped_and_its_lines_named(tmp_path: Path, copy: str) -> None:
    loaded = reported(write(tmp_path, "joined.csv", "text,label\n" + rows() + copy + "\n" + rows(start=40)))
    assert loaded.labels == ["neg", "pos"] and "label" not in loaded.labels and "text" not in loaded.labels
    assert loaded.report.dropped == {"repeated header": 1} and loaded.report.rows_kept == 80
    assert any("header row appears again on line(s) 42" in w for w in loaded.report.warnings)


def test_repeated_headers_early_in_the_file_do_not_hide_the_header(tmp_path: Path) -> None:
    content = "".join("text,label\n" + rows(3, start=3 * k) for k in range(10))
    frame, info = read_table(write(tmp_path, "chunks.csv", content))
    assert info.has_header and list(frame.columns) == ["text", "label"] and len(frame) == 30
    assert info.repeated_headers == 9


def test_excel_title_rows_and_repeated_headers(tmp_path: Path) -> None:
    data = [[f"{SECRET} film {i} was fine", "ab"[i % 2]] for i in range(20)]
    pd.DataFrame([[f"Feedback {SECRET}", None], ["text", "label"], *data, ["text", "label"], *data]).to_excel(
        tmp_path / "book.xlsx", index=False, header=False)
    loaded = reported(tmp_path / "book.xlsx")
    assert loaded.labels == ["a", "b"] and loaded.report.rows_kept == 40
    assert any("title row(s) above the header (sheet row 1)" in w for w in loaded.report.warnings)
    assert any("appears again on sheet row(s) 23" in w for w in loaded.report.warnings)


def test_excel_group_header_rows_are_skipped(tmp_path: Path) -> None:
    data = [[f"{SECRET} film {i} was fine", "ab"[i % 2], str(i)] for i in range(20)]
    pd.DataFrame([["Review", None, "Meta"], ["text", "label", "id"], *data]).to_excel(
        tmp_path / "groups.xlsx", index=False, header=False)
    loaded = reported(tmp_path / "groups.xlsx")
    assert loaded.report.columns == ["text", "label", "id"] and loaded.labels == ["a", "b"]


def test_data_rows_are_not_taken_for_title_rows(tmp_path: Path) -> None:
    for content, data_rows in ((f"{SECRET} first,\n" + rows(), 40), (f"text,label\n{SECRET} first,\n" + rows(), 41)):
        frame, info = read_table(write(tmp_path, "gap.csv", content))
        assert len(frame) == data_rows and not any("title" in note for note in info.notes)


# --- bytes that are not a table, or not all text -------------------------------------------------------------

BROKEN = {
    "html": ("page.csv", f"<!DOCTYPE html>\n<html><body>{SECRET}</body></html>\n", "web page (HTML)"),
    "html with bom": ("page.csv", f"\ufeff  <html><head><title>{SECRET}</title></head></html>", "web page (HTML)"),
    "xml": ("data.csv", f'<?xml version="1.0"?><rows><row>{SECRET}</row></rows>', "XML document"),
    "json not records": ("data.json", json.dumps({SECRET: {"a": [1, 2]}, "b": 3}), "one JSON object"),
    "json several lists": ("data.json", json.dumps({"a": [{"t": SECRET}], "b": [{"t": SECRET}]}), "2 lists of records"),
    "json scalars": ("data.json", json.dumps([SECRET, SECRET]), "JSON objects"),
    "bad json line": ("data.jsonl", f'{{"text": "a", "label": 1}}\n{{"text": {SECRET}}}\n', "Line 2"),
    "bad json array": ("data.json", f'[{{"text": "a"}}, {{"text": {SECRET}}}]', "line 1"),
    "binary": ("shadow.csv", b"\x00\x01\x02" + SECRET.encode() + b"\x00" * 100, "binary data"),
    "fake parquet": ("data.csv", b"PAR1" + SECRET.encode() * 20, "Could not read"),
    "fake xlsx": ("book.xlsx", b"PK\x03\x04" + SECRET.encode() * 20, "damaged zip"),
    "one column": ("hosts.csv", f"127.0.0.1 {SECRET}\n::1 localhost\n", "only 1 column"),
    "ragged": ("ragged.csv", "text,label\n" + f"{SECRET},b,c,d\n" * 30 + "x,y\n", "(the first on line 2)"),
    "one class": ("one.csv", "text,label\n" + f"{SECRET} a,x\n" * 5, "at least two classes"),
    "no labels": ("none.csv", "text,label\n" + f"{SECRET} a,\n" * 5, "no usable labels"),
    "header only": ("head.csv", f"text,{SECRET}\n", "header but no rows"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_never_echo_their_content(tmp_path: Path, case: str) -> None:
    name, content, expected = BROKEN[case]
    assert expected in refused(write(tmp_path, name, content))


def test_shadow_like_first_lines_are_not_column_names_in_messages(tmp_path: Path) -> None:
    shadow = "".join(f"user{i}:$6${SECRET}{i}$hash:19000:0:99999:7:::\n" for i in range(5))
    message = refused(write(tmp_path, "shadow.csv", shadow), Columns(label="nope"))
    assert "does not exist" in message
    htpasswd = "".join(f"user{i}:$apr1${SECRET}{i}\n" for i in range(5))
    assert "does not look like a header" in refused(write(tmp_path, "pw.csv", htpasswd), Columns(label="nope"))


def test_nul_bytes_and_inner_byte_order_marks_are_removed_and_reported(tmp_path: Path) -> None:
    content = ("text,label\n" + rows(5) + f"{SECRET} x\x00\x00y,pos\n" + rows(5)).encode()
    content += ("\ufefftext,label\n" + rows(5)).encode()
    loaded = reported(write(tmp_path, "nul.csv", content))
    assert loaded.report.rows_kept == 16 and loaded.report.dropped == {"repeated header": 1}
    assert any("Removed 2 NUL byte(s)" in w and "line 7" in w for w in loaded.report.warnings)
    assert any("Removed 1 byte order mark(s)" in w and "line 13" in w for w in loaded.report.warnings)


@pytest.mark.parametrize("value", [
    {"data": [{"text": f"{SECRET} film {i}", "label": "ab"[i % 2]} for i in range(10)]},
    {"text": [f"{SECRET} film {i}" for i in range(10)], "label": ["ab"[i % 2] for i in range(10)]},
])
def test_json_objects_that_wrap_records_are_read(tmp_path: Path, value: dict) -> None:
    loaded = reported(write(tmp_path, "wrapped.json", json.dumps(value, indent=2)))
    assert loaded.labels == ["a", "b"] and loaded.report.rows_kept == 10


# --- the user's file name, never the stored one ----------------------------------------------------------------

def test_shown_name_is_the_users_name() -> None:
    assert shown_name(Path("/srv/uploads/0123456789-my reviews.csv")) == "my reviews.csv"
    assert shown_name("/srv/uploads/0123456789-my reviews.csv") == "my reviews.csv"
    assert shown_name(Path("/home/me/data/reviews.csv")) == "reviews.csv"
    assert shown_name(Path("0123456789-../../etc/passwd")) == "passwd"
    assert shown_name("abc-not-an-id.csv") == "abc-not-an-id.csv"


@pytest.mark.parametrize(("content", "expected"), [
    ('text,label\n"open,1\nb,0\n', "line 2"), (b"", "is empty"), (b"\x89PNG\r\n\x1a\n", "PNG image"),
    ("<html></html>", "web page"), ("text,label\n", "header but no rows"),
])
def test_messages_name_the_uploaded_file(tmp_path: Path, content: str | bytes, expected: str) -> None:
    source = write(tmp_path, "my reviews.csv", content)
    stored = tmp_path / "uploads" / store_upload(source, tmp_path / "uploads")
    message = refused(stored)
    assert expected in message and "my reviews.csv" in message and stored.name not in message
    with pytest.raises(DataError, match="^my reviews.csv does not exist"):
        load_labelled(tmp_path / "uploads" / "0000000000-my reviews.csv")


def test_mac_line_endings_and_a_huge_quoted_cell_at_the_top_are_read(tmp_path: Path) -> None:
    mac = write(tmp_path, "mac.csv", ("text,label\n" + rows()).replace("\n", "\r"))
    assert load_labelled(mac).report.rows_kept == 40
    top = write(tmp_path, "top.csv", 'text,label\n"' + "word, more\n" * 30_000 + '",pos\n' + rows())
    loaded = reported(top)
    assert loaded.report.delimiter == "," and loaded.report.rows_kept == 41
