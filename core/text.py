"""User text (labels, names, texts, file and column names) shown in HTML, Markdown or a figure, as plain text.

Escaping ``<`` and ``&`` stops HTML, but not the link detection of Markdown renderers (GFM autolinks in
Gradio's Markdown, markdown-it's linkify), of plotly's pseudo-HTML or of viewers that turn any
``https://`` or ``name@host`` in a page's text into a link. :func:`plain_text` therefore writes every
ASCII punctuation character as a numeric HTML entity (Markdown sees no ``*``, ``_``, ``[``, ``|``, ``#``,
``:`` or ``@`` to act on, and the page shows them unchanged) and puts an invisible word joiner (U+2060)
where link detectors look — after a scheme's ``:`` before ``//``, before ``@``, after ``www`` and between
a word and a ``.`` followed by a letter — so the text reads the same and never becomes a link.
:func:`plot_text` is the smaller step plotly's labels need (plotly turns ``<a href>``, ``<b>`` and ``<br>``
into markup, and shows entities as their characters). Used by ``core.report`` and offered to the UI.
"""

from __future__ import annotations

import html
import re

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_LINK_POINTS = re.compile(r"(?<=:)(?=//)|(?=@)|(?<=\b[wW]{3})(?=\.)|(?<=[^\W\d_])(?=\.[^\W\d_])")
_SPACES = re.compile(r"\s+")


def unlinked(value: object) -> str:
    """``value`` as a string with a word joiner wherever a link detector would start or continue a link."""
    return _LINK_POINTS.sub(WORD_JOINER, str(value))


def plain_text(value: object, keep_lines: bool = False) -> str:
    """``value`` as HTML/Markdown that shows exactly its characters: no markup, no link, no HTML.

    Runs of white space become one space (a Markdown table cell or a heading stays one line) unless
    ``keep_lines`` (for ``<pre>`` and other places where line breaks are only line breaks).
    """
    text = str(value)
    if not keep_lines:
        text = _SPACES.sub(" ", text).strip()
    return _PUNCTUATION.sub(lambda found: f"&#{ord(found.group())};", unlinked(text))


def plot_text(value: object) -> str:
    """``value`` for a plotly label, title or hover text: shown as typed, never as a link or markup."""
    return html.escape(unlinked(value), quote=False)
