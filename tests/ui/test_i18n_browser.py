"""The UI in Chinese in a real browser: it follows the browser's language, the menu switches it (and a
reload keeps the choice), and what the server says — errors, Markdown, figure titles — follows too.

Playwright drives Debian's chromium; the test skips when it is not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.polling import poll_until
from tests.ui.conftest import launch_chromium

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]

PLOT_TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .map((el) => el.layout && el.layout.title && (el.layout.title.text || el.layout.title)).filter(Boolean)"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


def choose_language(page, name: str) -> None:
    page.locator("#tunescope-language input").click()
    page.get_by_role("option", name=name).click()


def test_chinese_browser_gets_the_chinese_ui_and_the_menu_switches(browser, app_url: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="1 · 模型").wait_for(timeout=60_000)
    assert page.get_by_role("tab", name="5 · 预测").is_visible()

    page.get_by_role("tab", name="5 · 预测").click()
    page.get_by_role("button", name="预测", exact=True).click()  # no text: the server's error, in Chinese
    page.get_by_text("请输入要分类的文本").first.wait_for(timeout=30_000)

    choose_language(page, "English")
    page.get_by_role("tab", name="5 · Predict").wait_for(timeout=10_000)
    page.reload()
    page.get_by_role("tab", name="1 · Model").wait_for(timeout=60_000)  # the choice survives a reload
    page.get_by_role("tab", name="5 · Predict").click()
    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_text("Type a text to classify").first.wait_for(timeout=30_000)
    context.close()


def test_english_browser_switches_to_chinese_with_figures(browser, app_url: str) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="1 · Model").wait_for(timeout=60_000)
    choose_language(page, "简体中文")
    page.get_by_role("tab", name="2 · 数据").click()
    page.get_by_role("tab", name="3 · 训练").wait_for(timeout=10_000)
    page.get_by_role("tab", name="2 · 数据").click()
    page.get_by_role("button", name="使用示例数据集").click()  # the data check again, drawn for this page
    chinese_title = f"() => ({PLOT_TITLES})().some((t) => /[\\u4e00-\\u9fff]/.test(String(t)))"
    page.wait_for_function(chinese_title, timeout=60_000)  # the class-balance figure, drawn in Chinese
    context.close()


def test_switching_redraws_the_servers_text_without_a_reload(browser, app_url: str) -> None:
    """The data report the page load drew (English) turns Chinese when the menu switches, in the same page (no
    reload: a mark set on the window survives), and the page's CJK font is served and loads."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="1 · Model").wait_for(timeout=60_000)

    def report_shown() -> bool:  # the page load restores the saved tab: open the Data tab until it shows the report
        page.get_by_role("tab", name="2 · Data").click()
        return page.get_by_text("usable rows").first.is_visible()  # the sample's report, from the server, in English

    poll_until(report_shown, "the English data report", ceiling=180, step=1.0)
    page.evaluate("() => { window.__tunescopeSamePage = true; }")
    choose_language(page, "简体中文")
    page.get_by_text("行可用").first.wait_for(state="attached", timeout=120_000)  # the same report, redrawn in Chinese
    page.get_by_role("tab", name="6 · 运行").wait_for(timeout=30_000)
    assert page.evaluate("() => window.__tunescopeSamePage === true"), "the page reloaded"
    assert page.get_by_text("usable rows").count() == 0
    loaded = page.evaluate("""async () => (await document.fonts.load('16px "TuneScope CJK"', '语言')).length""")
    assert loaded >= 1, "the page's CJK font did not load"
    assert "TuneScope CJK" in page.evaluate("() => getComputedStyle(document.querySelector('.gradio-container')).fontFamily")
    context.close()
