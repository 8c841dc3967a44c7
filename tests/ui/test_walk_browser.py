"""The whole loop in a real browser, as a new user walks it, at 1280 and 1920 px, in English and in Chinese.

Each walk picks its language in the language menu, loads the embedded default model, chooses a tiny model (built
from a config, so training takes seconds) as the base, uploads a labelled file written here (60 rows, three
labels; English questions with labels in capitals for the English walk, Chinese texts and labels for the Chinese
one), trains a short run to its end (in Chinese, after the refusal the tiny model's English vocabulary earns and
the confirmation it asks for), sees the curves, the attention view, a prediction and an evaluation, the
Runs table and an HTML report. On every tab it runs the page checks of ``tests.ui.pagecheck``: nothing clipped,
no word broken mid-word, nothing past the window, and in Chinese no English word that is not a value, id or
technical token. Every problem of the walk is collected and reported at once.

Playwright drives Debian's chromium; the test skips when it is not installed. With ``TUNESCOPE_SCREENSHOTS`` set
to a folder, each tab is saved there as ``<tab>-<lang>-<width>.png`` once checked (the README's pictures in
``assets/screenshots/`` are these, reduced to 128 colours); without it nothing is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.polling import poll_until
from tests.ui.conftest import launch_chromium
from tests.ui.pagecheck import IDLE_JS, LAYOUT_JS, MIXED_JS, allowed_words
from ui.api.settings import form_fields
from ui.i18n.languages import translate
from ui.tabs.runs.format import COLUMNS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]
WIDTHS = (1280, 1920)
SETTING_LABELS = {item.name: spec.label for item, spec, _ in form_fields()}  # the form's labels, as core declares them
SETTING_VALUES = sorted({str(c) for _, spec, _ in form_fields() for c in spec.choices or () if " " not in str(c)})  # code-like values
LANGUAGES = {"en": "English", "zh": "简体中文"}
SHOTS = os.environ.get("TUNESCOPE_SCREENSHOTS")  # a folder for each tab's picture; unset: none taken
WAIT = 120_000  # ms: a generous ceiling for what the page waits for; nothing waits a fixed time
DATA = {
    "en": ("question,label", {
        "NUM": "How many {} are there in the {} box?", "LOC": "Where is the {} near the {} station?",
        "HUM": "Who painted the {} for the {} museum?"}),
    "zh": ("文本,类别", {
        "体育": "{}队在{}的比赛中赢了两个球。", "美食": "这家{}餐馆的{}面条非常好吃。", "旅行": "我们坐火车去{}看{}的风景。"}),
}
WORDS = {"en": ["red", "blue", "green", "old", "new", "small", "large", "north", "south", "east"],
         "zh": ["北京", "上海", "广州", "深圳", "成都", "杭州", "西安", "南京", "武汉", "重庆"]}


def labelled_file(folder: Path, lang: str) -> tuple[Path, list[str]]:
    """60 distinct rows, 20 per label, in the walk's language; returns the file and its labels."""
    header, templates = DATA[lang]
    words = WORDS[lang]
    rows = [f"{template.format(words[i % 10], words[(i % 10 + 1 + 5 * (i // 10)) % 10])},{label}"
            for label, template in templates.items() for i in range(20)]
    path = folder / f"walk-{lang}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path, list(templates)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


class Walk:
    """One walk's page, language and findings."""

    def __init__(self, page, lang: str, allowed: list[str], width: int) -> None:
        self.page, self.lang, self.allowed, self.width = page, lang, allowed, width
        self.layout: list[str] = []
        self.mixed: list[str] = []
        self.stuck: list[str] = []

    @contextlib.contextmanager
    def step(self, where: str) -> Iterator[None]:
        """One tab's part of the walk; the tab is checked whatever happens, and a step that cannot finish is
        reported with the rest, so one failure does not hide what the later tabs would show."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - a Playwright timeout or an assertion: reported at the end
            self.stuck.append(f"{where}: {str(exc).strip().splitlines()[0][:300]}")
        try:
            self.check(where)
        except Exception as exc:  # noqa: BLE001
            self.stuck.append(f"{where} (page check): {str(exc).strip().splitlines()[0][:300]}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"{where.lower()}-{self.lang}-{self.width}.png"))

    def t(self, english: str) -> str:
        """What the page shows for ``english`` in the walk's language (the app's own catalogue)."""
        return english if self.lang == "en" else translate(english)

    def tab(self, english: str) -> None:
        self.page.get_by_role("tab", name=self.t(english)).click()
        self.page.get_by_role("tab", name=self.t(english), selected=True).wait_for(timeout=WAIT)

    def check(self, where: str) -> None:
        """The page checks on what is on screen once nothing is in progress."""
        self.page.wait_for_function(IDLE_JS, timeout=WAIT)
        self.layout += [f"{where}: {p}" for p in self.page.evaluate(LAYOUT_JS)]
        if self.lang == "zh":
            found = self.page.evaluate(MIXED_JS, {"allowed": self.allowed, "values": SETTING_VALUES})
            self.mixed += [f"{where}: {p}" for p in found]

    def open_accordions(self) -> None:
        closed = self.page.locator("button.label-wrap:visible:not(.open)")
        for _ in range(12):  # each click changes which are closed: one at a time
            if not closed.count():
                break
            closed.first.click()

    def file_input(self, label: str):
        block = self.page.get_by_text(self.t(label), exact=True).first.locator(
            "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' block ')][1]")
        return block.locator("input[type=file]").first

    def visible_text(self, text: str) -> None:
        """Until a visible paragraph of the open tab shows ``text`` (other tabs' hidden copies do not count)."""
        self.page.locator("p:visible", has_text=text).first.wait_for(timeout=WAIT)

    def wait_text(self, *texts: str) -> None:
        """Until the open page shows every one of ``texts`` (in any element, figures included)."""
        self.page.wait_for_function("(texts) => texts.every((t) => document.body.textContent.includes(t))",
                                    arg=list(texts), timeout=WAIT)


def choose_language(page, name: str) -> None:
    page.locator("#tunescope-language input").click()
    page.get_by_role("option", name=name).click()


PLOTTED = """() => [...document.querySelectorAll('.js-plotly-plot')].filter((el) => el.checkVisibility()
  && el.data && el.data.some((trace) => (trace.x || trace.y || []).length > 0)).length"""


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("width", WIDTHS)
def test_the_whole_loop_fits_the_window_in_one_language(browser, app_url: str, app_runs: Path, tiny_models,
                                                        tmp_path: Path, width: int, lang: str) -> None:
    data, labels = labelled_file(tmp_path, lang)
    tiny = tiny_models("bert")
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    walk = Walk(page, lang, allowed_words(data.name, data.stem, tiny.name, *labels), width)  # the file's name: a value
    page.goto(app_url)
    page.get_by_role("tab", name="1 · Model").wait_for(timeout=WAIT)
    choose_language(page, LANGUAGES[lang])
    page.get_by_role("tab", name=walk.t("1 · Model")).wait_for(timeout=WAIT)

    # Model: the embedded default into view, then the tiny model as the base for training
    with walk.step("Model"):
        walk.tab("1 · Model")
        page.get_by_role("button", name=walk.t("Load into view")).click()
        walk.wait_text("MiniLM-L6")
        page.get_by_label(walk.t("Local folder")).check()
        page.get_by_label(walk.t("Model folder")).click()
        page.get_by_role("option", name=str(tiny)).click()
        page.get_by_role("button", name=walk.t("Use as base model for training")).click()
        page.get_by_text(tiny.name).first.wait_for(timeout=WAIT)

    with walk.step("Data"):
        walk.tab("2 · Data")
        walk.file_input("Labelled file").set_input_files(str(data))
        walk.wait_text(data.name, *labels)

    run_id = ""
    with walk.step("Train"):  # a short run to its end, with its curves
        walk.tab("3 · Train")
        walk.wait_text(tiny.name, data.name)
        page.get_by_text(walk.t("Advanced"), exact=True).first.click()
        for name, value in (("max_steps", "6"), ("eval_steps", "3"), ("batch_size", "16")):
            field = page.get_by_label(walk.t(SETTING_LABELS[name]), exact=True).locator("visible=true").first
            field.fill(value)
            field.press("Tab")
        if lang == "zh":  # the tiny model's vocabulary has no Chinese: the run is refused until the user confirms
            page.get_by_role("button", name=walk.t("Start training"), exact=True).click()
            page.locator(".toast-message-text:visible", has_text="allow_unreadable").first.wait_for(timeout=WAIT)
            page.get_by_label(walk.t(SETTING_LABELS["allow_unreadable"]), exact=True).check()
        page.get_by_role("button", name=walk.t("Start training"), exact=True).click()
        run_box = page.get_by_label(walk.t("Run"), exact=True).locator("visible=true").first
        run_id = poll_until(lambda: run_box.input_value(), "the run did not start")
        poll_until(lambda: (app_runs / run_id / "metrics.json").exists(), f"run {run_id} did not finish")
        page.wait_for_function(f"() => ({PLOTTED})() >= 2", timeout=WAIT)  # loss and validation curves

    with walk.step("Attention"):  # the finished run is the model in view; its classes are the data's labels
        walk.tab("4 · Attention")
        walk.visible_text(walk.t(f"Model in view: **run {run_id}**").replace("**", ""))  # its line names the run
        classes = page.get_by_label(walk.t("Class to explain (importance, attributions; empty = predicted)")).first
        classes.click()
        listbox = page.locator(f"#{classes.get_attribute('aria-controls')} [role=option]")
        shown = [option.inner_text().strip() for option in listbox.all()]
        page.keyboard.press("Escape")
        assert sorted(shown) == sorted(labels), f"the classes are not shown as in the data: {shown}"
        page.get_by_role("button", name=walk.t("Show attention")).click()
        page.locator("#tunescope-attention-view .ts-host > :not(style)").first.wait_for(timeout=WAIT)

    with walk.step("Predict"):
        walk.tab("5 · Predict")
        walk.visible_text(walk.t(f"Model in view: **run {run_id}**").replace("**", ""))
        text = page.get_by_label(walk.t("Text"), exact=True).locator("visible=true").first
        text.fill(DATA[lang][1][labels[0]].format(WORDS[lang][1], WORDS[lang][2]))
        page.get_by_role("button", name=walk.t("Predict"), exact=True).click()
        predicted = page.locator("[data-testid='label-output-value']").first
        predicted.wait_for(timeout=WAIT)
        assert any(predicted.inner_text().strip().startswith(label) for label in labels), predicted.inner_text()
        walk.open_accordions()
        walk.file_input("…or a labelled file").set_input_files(str(data))
        page.get_by_role("button", name=walk.t("Evaluate on this file")).click()
        page.wait_for_function(f"() => ({PLOTTED})() >= 2", timeout=WAIT)  # confusion matrix, per-class scores

    with walk.step("Runs"):  # the table leads with what a person looks for; the report downloads where asked
        walk.tab("6 · Runs")
        page.get_by_role("button", name=walk.t("↻ Refresh")).click()
        cell = page.locator("span.text:visible", has_text=run_id or "-").first
        cell.wait_for(timeout=WAIT)
        headers = [h.strip() for h in page.locator("table thead th:visible").all_inner_texts() if h.strip()]
        assert headers[:5] == [walk.t(c) for c in COLUMNS[:5]], headers
        cell.click()
        page.get_by_role("button", name=walk.t("HTML report")).click()
        page.locator("#tunescope-run-download a[download]").first.wait_for(timeout=WAIT)
        walk.open_accordions()
        page.locator("table thead th:visible").first.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    context.close()

    found = [f"walk at {width} px ({lang}) could not go on:", *walk.stuck] if walk.stuck else []
    if walk.layout:
        found += [f"cut or overflowing at {width} px ({lang}):", *walk.layout]
    if walk.mixed:
        found += ["English words on the Chinese page (not values, ids or technical tokens):", *walk.mixed]
    assert not found, "\n".join(found)
