"""The CJK font: shipped small, covering every character of the Chinese catalogue, served with the page (its
``@font-face`` in the page's CSS), named first for CJK text in figures, and embedded in exported pages that hold
Chinese so they render offline on a machine without a CJK font."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go
import pytest

from core.plots.export import export_html
from core.plots.fonts import FAMILY, ROUTE, TTF_FONT, WEB_FONT, has_cjk, with_font
from core.plots.style import FONT_FAMILY
from core.report.page import page
from tests.polling import wait_ready
from tests.ui.conftest import free_port
from ui.i18n.languages import CATALOGUE_PATH
from ui.interface import launch_kwargs


def test_the_font_is_small_and_covers_the_catalogue() -> None:
    from fontTools.ttLib import TTFont

    assert WEB_FONT.stat().st_size < 1_000_000 and TTF_FONT.stat().st_size < 2_000_000
    wanted = set("".join(json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")).values())) | set("语言简体中文")
    for path in (WEB_FONT, TTF_FONT):
        font = TTFont(str(path))
        cmap = font.getBestCmap()
        lacking = sorted(c for c in wanted if (has_cjk(c) or " " < c < "\u2000") and ord(c) not in cmap)  # not emoji
        assert not lacking, f"{path.name} lacks {lacking[:20]}: run `python assets/fonts/make_subset.py`"
        assert font["name"].getDebugName(1) == FAMILY
    assert FONT_FAMILY.index(FAMILY) < FONT_FAMILY.index("sans-serif")  # figures name it for CJK text


@pytest.fixture(scope="module")
def served() -> str:
    with gr.Blocks() as demo:
        gr.Markdown("语言")
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs(demo))
    url = f"http://127.0.0.1:{port}/"
    wait_ready(url)
    try:
        yield url
    finally:
        demo.close()


def test_the_page_serves_the_font_and_names_it(served: str) -> None:
    with urllib.request.urlopen(served + ROUTE, timeout=60) as answer:
        assert answer.headers["content-type"] == "font/woff2"
        assert answer.read() == WEB_FONT.read_bytes()
    with urllib.request.urlopen(served + "config", timeout=60) as answer:
        css = json.loads(answer.read())["css"]
    assert "@font-face" in css and f'font-family: "{FAMILY}"' in css and f'url("{ROUTE}")' in css
    assert f'"{FAMILY}", sans-serif' in css  # the page's font list: after the Latin fonts
    assert "/work/" not in css and str(WEB_FONT.parent) not in css  # no server path


def test_exported_pages_with_chinese_embed_the_font(tmp_path: Path) -> None:
    english = page("Run", "english only", [("Summary", "<p>fine</p>")], plotly_js="")
    assert "@font-face" not in english  # no 400 kB for a page without CJK text
    chinese = page("运行", "中文", [("Summary", "<p>类别</p>")], plotly_js="")
    assert "@font-face" in chinese and "data:font/woff2;base64," in chinese and "font-src data:" in chinese
    fig = go.Figure(go.Bar(x=["正面", "负面"], y=[1, 2]), layout=dict(title="类别分布", font=dict(family=FONT_FAMILY)))
    written = export_html(fig, tmp_path / "figure.html").read_text(encoding="utf-8")
    assert written.index("@font-face") < written.index("</head>") and FAMILY in written
    assert with_font("<html><head></head><body>plain</body></html>") == "<html><head></head><body>plain</body></html>"
