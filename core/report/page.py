"""The report's page: one self-contained HTML file that opens offline, with plotly.js inlined once.

A strict Content-Security-Policy allows only the page's own inline scripts and styles (and data:
images, which plotly uses for heatmaps): no request ever leaves the file. Figures are embedded with
``fig.to_html(full_html=False, include_plotlyjs=False)``. What the sections say is left to
``core.report.sections``; every value from user data is escaped there with :func:`esc`, which also breaks
what link detectors look for (``core.text.unlinked``), so a label or text holding a URL or an e-mail
address is never a link, whatever opens the file.
"""

from __future__ import annotations

import html
import re
from typing import Any

from core.plots.fonts import with_font
from core.text import unlinked

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")

NUMBER = re.compile(r"[-+]?[0-9][0-9.,]*%?|–")
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "TuneScope CJK", sans-serif; color: #1f2933; margin: 0;
       background: #f5f7fa; line-height: 1.45; }
header { background: #1f5fb4; color: white; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; word-break: break-all; }
header p { margin: 0; opacity: .9; }
nav { padding: 8px 32px; background: white; border-bottom: 1px solid #d9e2ec; font-size: 14px; }
nav a { margin-right: 14px; color: #1f5fb4; text-decoration: none; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: white; border: 1px solid #d9e2ec; border-radius: 8px; margin: 18px 0; padding: 8px 20px 16px; }
h2 { font-size: 18px; border-bottom: 1px solid #e4e7eb; padding-bottom: 6px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid #d9e2ec; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #d9e2ec; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card .value { font-size: 24px; font-weight: 600; }
.card .name { font-size: 13px; color: #52606d; }
.note { color: #52606d; font-size: 13px; }
.warn { color: #9c4221; }
.example { border-left: 4px solid #9aa5b1; padding: 4px 12px; margin: 12px 0; }
.example.mistake { border-left-color: #dc2626; }
.example.correct { border-left-color: #16a34a; }
pre { white-space: pre-wrap; word-break: break-word; background: #f5f7fa; padding: 10px; border-radius: 6px; }
.card-md code { background: #f0f4f8; padding: 0 3px; border-radius: 3px; }
"""


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes, never turned into a link."""
    return html.escape(unlinked(value), quote=True)


def figure_html(fig: Any) -> str:
    """A plotly figure as a ``<div>`` plus inline script (plotly.js itself is inlined once by :func:`page`)."""
    return fig.to_html(full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})


def table(header: list[str] | None, rows: list[list[Any]], numeric_from: int = 1) -> str:
    """An HTML table (no header row when ``header`` is None); every cell is escaped, and numbers in the
    columns from ``numeric_from`` on are right-aligned."""
    head = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>" if header else ""

    def cell(i: int, value: Any) -> str:
        number = i >= numeric_from and NUMBER.fullmatch(str(value)) is not None
        return f'<td{" class=num" if number else ""}>{esc(value)}</td>'

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def anchor(heading: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in heading.lower()).strip("-")


def page(title: str, subtitle: str, sections: list[tuple[str, str]], plotly_js: str | None = None) -> str:
    """The whole document: escaped ``title``/``subtitle``, a table of contents and ``(heading, body html)``
    sections (bodies are trusted HTML built from escaped values)."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    plotly_js = plotly_js.replace("</script", "<\\/script")  # cannot end its own element early
    nav = "".join(f'<a href="#{anchor(h)}">{esc(h)}</a>' for h, _ in sections)
    body = "".join(f'<section id="{anchor(h)}"><h2>{esc(h)}</h2>{content}</section>' for h, content in sections)
    return with_font(  # Chinese renders offline: the CJK font is embedded when the page holds CJK text
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} - TuneScope report</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><nav>{nav}</nav>"
        f"<main>{body}</main></body></html>\n"
    )
