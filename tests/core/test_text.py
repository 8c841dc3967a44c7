"""User text shown in HTML, Markdown or a figure reads as typed and never becomes markup or a link."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from core.text import WORD_JOINER, plain_text, plot_text, unlinked

HOSTILE = ["https://evil.example/x?a=1&b=2", "mail me: bob.smith@example.com", "www.example.org", "see example.com now",
           "[click](https://x.y)", "<a href='http://x'>x</a>", "**bold** _it_ `code` # head | pipe ~~s~~",
           "ftp://files.example/a", "<script>alert(1)</script>", "1. item\n- item\n\n    code\n===", "plain words 3.14"]
LINKS = re.compile(r"(?:https?|ftp)://|www\.|[\w.+-]+@[\w-]+|\b[a-z]+\.[a-z]{2,}\b", re.I)  # what link detectors find


def shown(text: str) -> str:
    """What a reader sees: entities decoded, the invisible word joiners gone."""
    return html.unescape(text).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_shows_the_text_as_typed_and_nothing_can_link_or_mark_it_up(text: str) -> None:
    out = plain_text(text)
    assert shown(out) == " ".join(text.split())
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"&#\d+;", "", out))  # no punctuation for Markdown or HTML
    assert not LINKS.search(out) and not LINKS.search(html.unescape(out))  # in the source, and once decoded
    rendered = MarkdownIt("commonmark").enable("table").render(out)
    assert re.fullmatch(r"<p>[^<>]*</p>\n", rendered), rendered  # one paragraph of text: no link, list, code, tag


def test_lines_can_be_kept_and_plain_words_stay_plain() -> None:
    assert plain_text("two\nlines", keep_lines=True) == "two\nlines"
    assert plain_text("  a   b\t c ") == "a b c"
    assert plain_text("positive") == "positive" and unlinked("3.14 and v2.0") == "3.14 and v2.0"


@pytest.mark.parametrize("text", HOSTILE)
def test_plot_text_never_holds_a_tag_and_reads_as_typed(text: str) -> None:
    out = plot_text(text)
    assert "<" not in out and ">" not in out and shown(out) == text
    assert not LINKS.search(html.unescape(out))
