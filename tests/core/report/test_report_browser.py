"""The report opens in a real browser with the network cut off: every figure draws, nothing is fetched,
the Content-Security-Policy reports no violation and the hostile text runs no script.

Playwright drives Debian's chromium (/usr/bin/chromium); the test skips when it is not installed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.report import build_report
from tests.core.report.test_report import hand_made_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def test_report_renders_offline_without_requests(tiny_run: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    labels = json.loads((tiny_run / "config.json").read_text())["labels"]
    report = build_report(tiny_run, evaluation=hand_made_report(labels), output=tmp_path / "report.html")
    figures = report.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        context = browser.new_context(offline=True)
        page = context.new_page()
        requests, problems, dialogs = [], [], []
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:"))
                else None)
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.as_uri())
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}",
                               timeout=30_000)
        headings = page.locator("h2").all_inner_texts()
        example = page.locator(".example.mistake").first.inner_text()
        browser.close()
    assert figures >= 2 and requests == [] and problems == [] and dialogs == []
    assert headings[0] == "Run" and "Model card" in headings
    assert "<b>bad</b>" in example  # shown as text, not markup
