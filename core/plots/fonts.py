"""The CJK font every page and figure can rely on: a subset of WenQuanYi Micro Hei shipped in ``assets/fonts``.

A machine without a CJK system font shows Chinese as boxes; the app serves this subset with the page
(``ui.api.fonts``), figures name it first for CJK text (``core.plots.style.FONT_FAMILY``), report pages
and exported HTML figures embed it (:func:`font_face_css` with ``inline=True``: a file that opens offline),
and matplotlib's PNG fallback registers the TTF. ``assets/fonts/make_subset.py`` regenerates the files;
licence Apache-2.0 (or GPL-3+ with the font exception), named in the README and ``assets/fonts/LICENSE``.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FAMILY = "TuneScope CJK"
WEB_FONT = FONT_DIR / "tunescope-cjk.woff2"
TTF_FONT = FONT_DIR / "tunescope-cjk.ttf"
ROUTE = "tunescope-fonts/tunescope-cjk.woff2"  # where the app serves WEB_FONT, relative to the page
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a CJK character or CJK punctuation."""
    return bool(_CJK.search(text))


@functools.cache
def _data_url() -> str:
    try:
        return "data:font/woff2;base64," + base64.b64encode(WEB_FONT.read_bytes()).decode("ascii")
    except OSError:
        return ""


def font_face_css(inline: bool = False, url: str = ROUTE) -> str:
    """The ``@font-face`` rule of :data:`FAMILY`: the font embedded as a data URL (``inline``) or at ``url``;
    empty when the font file is missing (inline) — text then falls back to the system's fonts."""
    source = _data_url() if inline else url
    if not source:
        return ""
    return (f'@font-face {{ font-family: "{FAMILY}"; src: url("{source}") format("woff2"); '
            "font-weight: 100 900; font-style: normal; font-display: swap; }")


def with_font(page: str) -> str:
    """A full HTML page with the font embedded in its ``<head>`` when the page holds CJK text (else unchanged)."""
    if not has_cjk(page) or "</head>" not in page:
        return page
    rule = font_face_css(inline=True)
    return page.replace("</head>", f"<style>{rule}</style></head>", 1) if rule else page
