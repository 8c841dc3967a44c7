"""Formatting shared by the tabs: counts, durations, user text made inert in Markdown, the run menus."""

from __future__ import annotations

import html
import re
from typing import Any


def human_count(value: int | float | None) -> str:
    if value is None:
        return "?"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return str(int(value))


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def label_counts(counts: dict[str, int], shown: int = 8) -> str:
    """Rows per label as one readable list for a toast ("positive 60, negative 40"), most frequent first, the
    ``shown`` first labels and then how many more; label names exactly as in the data, HTML-escaped (toasts render
    HTML)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    text = ", ".join(f"{html.escape(str(label))} {count:,}" for label, count in ordered[:shown])
    return text + (f", … (+{len(ordered) - shown})" if len(ordered) > shown else "")


_MARKDOWN_SPECIALS = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]<>()#+-.!|~"})
JOINER = "\u200d"  # zero-width joiner: invisible, but no link detector reads a URL or an address across it
_LINKS = re.compile(r"(?i)(://|@|www\.)")


def unlinked(text: str) -> str:
    """``text`` with a zero-width joiner inside every ``://``, ``@`` and ``www.``, so that neither Markdown's nor
    Gradio's link detection turns a URL or an e-mail address written by a user into a live link."""
    return _LINKS.sub(lambda m: {"://": f":{JOINER}//", "@": f"{JOINER}@{JOINER}"}.get(m.group(0), m.group(0)[:1] + JOINER
                                                                                     + m.group(0)[1:]), text)


def md_escape(text: object, limit: int = 200) -> str:
    """User text (run names, tags, labels, column and file names, config values) made inert inside Markdown and
    HTML: shortened, on one line, its Markdown and HTML characters written as entities and its URLs and e-mail
    addresses never turned into links (:func:`unlinked`). Every tab shows user text through this function."""
    value = str(text)
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return unlinked(value.replace("\n", " ")).translate(_MARKDOWN_SPECIALS)


_INLINE_SPECIALS = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]<>|~"})


def md_inline(text: object, limit: int = 200) -> str:
    """User text inside a line of Markdown (never at a line's start): as :func:`md_escape`, but the characters
    that only mean something at a line's start or after ``]`` (``. - ( ) # + !``) stay, so names read naturally."""
    value = str(text)
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return unlinked(value.replace("\n", " ")).translate(_INLINE_SPECIALS)


def md_code(text: object, limit: int = 200) -> str:
    """User text as a Markdown code span that no backtick in it can close, with its links defused."""
    value = str(text)
    value = unlinked(value if len(value) <= limit else value[: limit - 1] + "…").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def run_choices(listed: list[dict[str, Any]], with_model: bool = False) -> list[tuple[str, str]]:
    """(label, run id) for runs in the catalog, optionally only those with a saved model."""
    return [(f"{r['run_id']} · {r['state']}" + (f" · acc {r['accuracy']:.3f}" if r.get("accuracy") is not None else ""),
             r["run_id"]) for r in listed if r["has_model"] or not with_model]
