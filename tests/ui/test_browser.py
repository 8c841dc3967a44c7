"""One real-browser walk-through: upload a CSV, train a few steps, watch the loss curve grow, predict.

Playwright drives Debian's chromium (/usr/bin/chromium); the test skips when it is not installed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.ui.conftest import SAMPLE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]

LOSS_POINTS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const title = el.layout && el.layout.title && (el.layout.title.text || el.layout.title);
    if (title === 'Loss' && el.data && el.data.length) return el.data[0].x ? el.data[0].x.length : 0;
  }
  return -1;
}"""


@pytest.fixture
def page(app_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_text("Labels:").first.wait_for(timeout=60_000)  # the session's choices are restored
        yield page
        browser.close()


def test_upload_train_watch_curve_predict_and_reload(page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="2 · Data").click()
    upload = tmp_path / "my_topics.csv"
    upload.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.get_by_text("my_topics.csv ·").first.wait_for(timeout=60_000)
    assert page.get_by_text("240 usable rows").first.is_visible()

    page.get_by_role("tab", name="3 · Train").click()
    plan = page.get_by_text("Start training will fine-tune").first
    assert "MiniLM" in plan.inner_text() and "my_topics.csv" in plan.inner_text()
    page.get_by_text("Advanced").first.click()
    max_steps = page.get_by_label("Max steps (0 = epochs)")
    max_steps.fill("12")
    max_steps.press("Tab")
    eval_steps = page.get_by_label("Evaluate every N steps (0 = auto)")
    eval_steps.fill("6")
    eval_steps.press("Tab")
    page.get_by_label("Batch size").fill("16")
    page.get_by_role("button", name="Start training").click()

    counts: list[int] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        counts.append(page.evaluate(LOSS_POINTS))
        if page.get_by_text("Validation: accuracy").count():
            counts.append(page.evaluate(LOSS_POINTS))
            break
        page.wait_for_timeout(700)
    points = [c for c in counts if c > 0]
    assert points, f"the loss curve never showed points: {counts}"
    assert max(points) >= 6 and len(set(points)) >= 2, f"the curve did not grow live: {counts}"
    page.get_by_text("Validation: accuracy").first.wait_for(timeout=120_000)
    run_id = page.get_by_label("Run", exact=True).input_value()
    assert run_id
    # the base model is still the default: a second Start would not fine-tune the run just trained
    assert "MiniLM" in page.get_by_text("Start training will fine-tune").first.inner_text()

    page.get_by_role("tab", name="5 · Predict").click()
    page.get_by_text(f"Model in view: run {run_id}").first.wait_for(timeout=30_000)
    page.get_by_label("Text", exact=True).fill("The striker scored twice in the final minutes.")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.locator(".output-class, [data-testid='label-output-value']").first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert any(topic in body for topic in ("sports", "food", "travel", "technology"))

    # a reload keeps the open tab, the model in view, the data and the watched run
    page.reload()
    page.get_by_text(f"Model in view: run {run_id}").first.wait_for(timeout=60_000)
    assert page.get_by_role("tab", name="5 · Predict").get_attribute("aria-selected") == "true"
    page.get_by_role("tab", name="2 · Data").click()
    page.get_by_text("my_topics.csv ·").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="3 · Train").click()
    assert page.get_by_label("Run", exact=True).input_value() == run_id
    assert "MiniLM" in page.get_by_text("Start training will fine-tune").first.inner_text()


def test_a_report_downloads_once_from_the_runs_tab(page, app_url: str, app_runs: Path, tiny_models) -> None:
    """The Runs tab's report is a link the browser downloads; the file is gone from the server afterwards."""
    from gradio_client import Client, handle_file

    from ui.api.context import download_area
    from ui.api.session import Places

    client = Client(app_url, verbose=False)
    upload = client.predict(handle_file(str(SAMPLE)), "default", api_name="/upload_data")[0]["upload"]
    settings = dict(max_steps=2, eval_steps=1, batch_size=16, max_length=32, device="cpu", precision="fp32")
    run = client.predict(upload, base_model=f"folder:{tiny_models('bert')}", settings=settings,
                         api_name="/start_training")["run_id"]
    deadline = time.monotonic() + 300
    while client.predict(run, api_name="/training_status")["status"]["state"] != "finished":
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(1)
    page.get_by_role("tab", name="6 · Runs").click()
    page.get_by_role("button", name="↻ Refresh").click()
    page.locator("span.text:visible", has_text=run).first.click()  # the table keeps hidden copies of its cells
    page.get_by_role("button", name="HTML report").click()
    link = page.locator("#tunescope-run-download a[download]").first
    link.wait_for(timeout=120_000)
    with page.expect_download(timeout=60_000) as download:
        link.click()
    assert "<html" in Path(download.value.path()).read_text(encoding="utf-8")
    area = download_area(Places.at(app_runs))
    deadline = time.monotonic() + 60
    while any(p.is_file() for p in area.rglob("*report.html")):
        assert time.monotonic() < deadline, "the downloaded report is still on the server"
        time.sleep(0.3)
