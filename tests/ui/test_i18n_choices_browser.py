"""Choice components on the Chinese page keep their values: Gradio's page translates every ``value`` property that
equals a key of the ``gr.I18n`` table, so with plain English keys the Attention view picker's "Head" became
"注意力头" in the browser (no radio checked, and Gradio rejected it as "not in the list of choices"), and the Runs
curve picker's "loss" became "损失". The keys are prefixed (``ui.i18n.languages.browser_key``): only the
choices' names are translated, never their values.

Playwright drives Debian's chromium; the test skips when it is not installed.
"""

from __future__ import annotations

import pytest

from tests.ui.pagecheck import IDLE_JS
from tests.ui.test_i18n_browser import CHROMIUM, browser  # noqa: F401  (the fixture)

WAIT = 120_000  # ms: a generous ceiling; nothing waits a fixed time

pytestmark = [pytest.mark.browser, pytest.mark.slow]



def test_chinese_choices_keep_their_values(browser, app_url: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    assert CHROMIUM
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="1 · 模型").wait_for(timeout=WAIT)
    page.wait_for_function(IDLE_JS, timeout=WAIT)  # the page load's own events (a saved tab) are done
    for tab in ("6 · 运行", "4 · 注意力"):
        page.get_by_role("tab", name=tab).click()
        page.get_by_role("tab", name=tab, selected=True).wait_for(timeout=WAIT)
        if tab.startswith("4"):
            head = page.get_by_role("radio", name="注意力头", exact=True)
            expect(head).to_be_checked(timeout=WAIT)  # the value "Head" kept: the radio named 注意力头 is chosen
            assert head.get_attribute("value") == "Head"
        else:
            curve = page.get_by_role("combobox", name="曲线", exact=True)
            expect(curve).to_have_value("损失", timeout=WAIT)  # shown by its name...
            curve.click()
            chosen = page.locator(f"#{curve.get_attribute('aria-controls')} [role=option][aria-selected=true]")
            expect(chosen).to_have_attribute("aria-label", "损失", timeout=WAIT)  # ...and "loss" is the option chosen
    context.close()
