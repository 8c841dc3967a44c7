"""In a real browser, the Train tab's log box shows the readable lines of train.log and keeps its newest line in view.

Gradio's own autoscroll does not scroll a Textbox whose whole value is replaced (as each poll replaces the log),
so the tab follows the newest line with a small script (``ui.tabs.train.tab.FOLLOW_LOG``). Playwright drives
Debian's chromium; the test skips when it is not installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]
RUN = "20260101-000000-long-log"
BOX = "#ts-train-log textarea"


@pytest.fixture(scope="module")
def app_runs(tmp_path_factory: pytest.TempPathFactory, tiny_models) -> Path:
    """The app's runs folder, with one ended run whose train.log is long and noisy."""
    root = tmp_path_factory.mktemp("runs")
    data = root.parent / "reviews.csv"
    data.write_text("review,sentiment\n" + "".join(f"text {n},{'ab'[n % 2]}\n" for n in range(20)), encoding="utf-8")
    config = RunConfig(data=DataSettings(train_file=str(data)), model=str(tiny_models("bert")),
                       train=TrainSettings(max_steps=60, device="cpu"))
    run_dir = job.create_run(config, run_dir=root / RUN)
    noise = "\rMap:  50%|█████     | 5/10 [00:00<00:00]\x1b[A\n/x/site-packages/y.py:1: FutureWarning: old\n  warn()\n"
    lines = "".join(f"step {n}/60 loss 0.5 lr 1.00e-04 10.0 samples/s eta 1s\n{noise}" for n in range(1, 61))
    runs.RunPaths(run_dir).log.write_text(lines, encoding="utf-8")
    runs.write_status(run_dir, "stopped", global_step=60, total_steps=60)
    return root


def test_the_log_box_shows_readable_lines_and_follows_the_newest(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app_url)
        page.get_by_text("Labels:").first.wait_for(timeout=60_000)  # the session's choices (and open tab) restored
        page.get_by_role("tab", name="3 · Train").click()
        watch = page.get_by_label("Watch a run")
        watch.click()
        page.get_by_role("option", name=RUN, exact=False).first.click()
        page.wait_for_function(f"() => (document.querySelector('{BOX}') || {{}}).value?.includes('step 60/60')",
                               timeout=120_000)
        page.wait_for_function(f"""() => {{ const box = document.querySelector('{BOX}');
            return box.scrollHeight > box.clientHeight && box.scrollHeight - box.scrollTop - box.clientHeight < 24; }}""",
                               timeout=60_000)  # scrolled to its newest line
        shown = page.eval_on_selector(BOX, "box => box.value")
        browser.close()
    assert shown.splitlines()[-1] == "step 60/60 loss 0.5 lr 1.00e-04 10.0 samples/s eta 1s"
    assert not any(noise in shown for noise in ("\x1b", "Map:", "FutureWarning", "warn()"))
