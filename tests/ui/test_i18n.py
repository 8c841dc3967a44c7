"""The Chinese UI: the catalogue covers every string the app shows, and server-made text is translated."""

from __future__ import annotations

import inspect
import re
from types import SimpleNamespace

import gradio as gr
import plotly.graph_objects as go
import pytest

import ui.i18n.languages as i18n
from ui.i18n.localise import _figure, _wrap

FIELD = re.compile(r"\{\d*\w*\}")


@pytest.fixture
def small_catalogue(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    table = {"Epochs": "轮次", "Run {0} finished.": "运行 {0} 已完成。", "Loss": "损失",
             "Type a text to classify.": "请输入要分类的文本。", "step": "步"}
    monkeypatch.setattr(i18n, "catalogue", lambda: table)
    i18n._templates.cache_clear()
    yield table
    i18n._templates.cache_clear()


def request(cookie: str | None = None, header: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(cookies={i18n.COOKIE: cookie} if cookie else {},
                           headers={"accept-language": header} if header else {})


def test_language_follows_the_menu_then_the_browser() -> None:
    assert i18n.language(request(header="zh-CN,zh;q=0.9,en;q=0.8")) == "zh-CN"
    assert i18n.language(request(header="zh-Hans")) == "zh-CN"
    assert i18n.language(request(header="zh-TW,en;q=0.5")) == "en"  # no Traditional Chinese catalogue
    assert i18n.language(request(header="de-DE,en;q=0.5")) == "en"
    assert i18n.language(request(cookie="en", header="zh-CN")) == "en"
    assert i18n.language(request(cookie="zh-CN", header="en-US")) == "zh-CN"
    assert i18n.language(request(cookie="<script>", header="en-US")) == "en"
    assert i18n.language(None) == "en"  # outside a request


def test_translation_keeps_values_and_falls_back_sentence_by_sentence(small_catalogue) -> None:
    assert i18n.tr("Epochs", "zh-CN") == "轮次"
    assert i18n.tr("Epochs", "en") == "Epochs"
    assert i18n.tr("Run 20261123-ab finished.", "zh-CN") == "运行 20261123-ab 已完成。"
    assert i18n.tr("Run x finished. Something new here.", "zh-CN") == "运行 x 已完成。Something new here."
    assert i18n.tr("Loss\nunknown line", "zh-CN") == "损失\nunknown line"
    assert i18n.tr("not in the catalogue", "zh-CN") == "not in the catalogue"
    assert i18n.tr(3.5, "zh-CN") == 3.5


def test_handlers_answer_in_the_requests_language(small_catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "language", lambda request=None: "zh-CN")
    monkeypatch.setattr("ui.i18n.localise.language", lambda request=None: "zh-CN")
    box = gr.Markdown()

    def fails() -> str:
        raise gr.Error("Type a text to classify.")

    with pytest.raises(gr.Error) as caught:
        _wrap(fails, [box])()
    assert caught.value.message == "请输入要分类的文本。"
    assert _wrap(lambda: "Run 7 finished.", [box])() == "运行 7 已完成。"
    assert _wrap(lambda: {box: "Epochs"}, [box])() == {box: "轮次"}
    state = gr.State()
    assert _wrap(lambda: ("Epochs", "Epochs"), [box, state])() == ("轮次", "Epochs")  # ids are not text


def test_a_handlers_progress_bar_speaks_the_requests_language(small_catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    class Recorder(gr.Progress):
        def __init__(self) -> None:
            super().__init__()
            self.said: list[str] = []

        def __call__(self, progress: float, desc: str | None = None, *args, **kwargs) -> None:
            self.said.append(desc)

    def work(text: str, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 - Gradio's way to ask for one
        progress(0.5, desc="Run 7 finished.")
        return text

    box = gr.Markdown()
    assert isinstance(inspect.signature(_wrap(work, [box])).parameters["progress"].default, gr.Progress)  # Gradio still sees it
    english, chinese = Recorder(), Recorder()
    assert _wrap(work, [box])("Epochs", progress=english) == "Epochs" and english.said == ["Run 7 finished."]
    monkeypatch.setattr("ui.i18n.localise.language", lambda request=None: "zh-CN")
    assert _wrap(work, [box])("Epochs", progress=chinese) == "轮次" and chinese.said == ["运行 7 已完成。"]


def test_figure_titles_axes_and_legends_are_translated(small_catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ui.i18n.localise.language", lambda request=None: "zh-CN")
    fig = go.Figure([go.Scatter(x=[1, 2], y=[3, 1], name="Loss")],
                    layout=dict(title=dict(text="Loss"), xaxis=dict(title=dict(text="step"))))
    out = _figure(fig)
    assert out.layout.title.text == "损失" and out.layout.xaxis.title.text == "步" and out.data[0].name == "损失"
    assert list(out.data[0].y) == [3, 1]


def test_catalogue_entries_keep_their_placeholders_and_markup() -> None:
    table = i18n.catalogue()
    assert len(table) > 300
    for english, chinese in table.items():
        assert chinese.strip(), english
        assert sorted(FIELD.findall(english)) == sorted(FIELD.findall(chinese)), english
        assert english.count("%{") == chinese.count("%{"), english
        assert sorted(re.findall(r"</?\w+>", english)) == sorted(re.findall(r"</?\w+>", chinese)), english


def test_templates_neither_swallow_lines_nor_match_on_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"{0} by {1}": "{1} 的 {0}", "Best trial {0}": "最佳试验 {0}", "Sorted": "已排序"}
    monkeypatch.setattr(i18n, "catalogue", lambda: table)
    i18n._templates.cache_clear()
    try:
        assert i18n.tr("Sorted by date", "zh-CN") == "Sorted by date"  # too little text of its own to trust
        assert i18n.tr("Best trial 3\nSorted", "zh-CN") == "最佳试验 3\n已排序"  # line by line
    finally:
        i18n._templates.cache_clear()


def test_the_embedded_models_names_are_translated_inside_templates() -> None:
    from core.modelref import DEFAULT_NAME, SMOLLM2_NAME

    assert {DEFAULT_NAME, SMOLLM2_NAME} <= i18n.NAMES  # written out in ui.i18n, which imports no core
    assert i18n.translate(f"Model in view: **{DEFAULT_NAME}**") == f"当前查看的模型：**{i18n.catalogue()[DEFAULT_NAME]}**"
    assert i18n.translate("Model in view: **run 20261207-x**") == "当前查看的模型：**运行 20261207-x**"
    assert "embedded" not in i18n.catalogue()[DEFAULT_NAME] and "embedded" not in i18n.catalogue()[SMOLLM2_NAME]


def test_script_names_are_translated_inside_the_cannot_read_sentence() -> None:
    from core.data.readable import unreadable_sentence

    assert not i18n.SCRIPTS - set(i18n.catalogue())  # every script name ui.i18n knows has its Chinese
    report = {"unknown_share": 0.57, "unknown_char_share": 0.5, "model": "model folder /m/tiny",
              "unreadable_scripts": ["Han", "Cyrillic"]}
    chinese = i18n.translate(unreadable_sentence(report))
    assert "汉字、西里尔字母" in chinese and "Han" not in chinese and "Cyrillic" not in chinese, chinese
    assert i18n.translate("Han, Latin and more") == "Han, Latin and more"  # only a value that is all script names


@pytest.mark.parametrize(("english", "values"), [
    ("Stopped early: no improvement.", set()),
    ("Waiting for run '20261207-a' on cuda:0 to finish.", {"20261207", "a", "cuda", "0"}),
    ("Waiting for another run on cpu to finish.", {"cpu"}),
    ("Waiting in the queue for a free device.", set()),
    ("Waiting in the queue for a free cuda:1.", {"cuda", "1"}),
    ("Starting the training process…", set()),
    ("Stopping: the run saves a usable model first.", set()),
    ("Stopped while queued: it never started, so nothing was trained.", set()),
    ("Pre-training on 1,200 texts (stage 1 of 2).", {"1", "200", "2"}),
    ("Fine-tuning (stage 2 of 2).", {"2"}),
    ("Out of memory at batch size 32: retry with batch size 16 and gradient accumulation 2 (same effective batch).",
     {"32", "16", "2"}),
])
def test_a_runs_status_messages_are_in_the_catalogue(english: str, values: set[str]) -> None:
    """What core writes in status.json is shown in the Train tab and the Runs table: Chinese, values aside."""
    left = set(re.findall(r"[A-Za-z0-9]+", i18n.translate(english))) - values - {"LoRA", "max_length", "train", "log"}
    assert not left, (english, i18n.translate(english))


def test_the_interactive_views_words_are_listed_and_translated() -> None:
    """Every English sentence core/plots/*.js asks K.t for is sent in the page's language (VIEW_TEXTS) and has
    its Chinese; a view's words are never glued from fragments."""
    from pathlib import Path

    from ui.tabs.attention.tab import VIEW_TEXTS

    asked = set()
    for script in (Path(__file__).resolve().parents[2] / "core" / "plots").glob("*.js"):
        source = script.read_text(encoding="utf-8")
        for call in re.finditer(r'\bt\(\s*((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)', source):
            asked.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', call.group(1))))
    assert {"Keys in order of", "query token", "{0}: {1} — head {2}, layer {3}."} <= asked  # the scan finds them
    assert not asked - set(VIEW_TEXTS), asked - set(VIEW_TEXTS)
    assert not set(VIEW_TEXTS) - set(i18n.catalogue()), set(VIEW_TEXTS) - set(i18n.catalogue())


def test_figure_titles_with_notes_are_translated_note_by_note() -> None:
    """core.plots.style.title's "heading<br><sup>note; note</sup>": each part whole, a note holding "; " too."""
    title = ("Model grid<br><sup>12 tokens, one cell each; pick a layer and head to open one; "
             "links under 0.05 hidden</sup>")
    assert i18n.translate_title(title) == "模型网格<br><sup>12 个词元，每个一格；选择层和头以打开；已隐藏低于 0.05 的连线</sup>"
    stats = "Per-head statistics<br><sup>averaged over query tokens; low entropy = a focused head</sup>"
    assert i18n.translate_title(stats) == "各注意力头统计<br><sup>对查询词元取平均；熵低 = 注意力集中的头</sup>"
    assert i18n.translate_title("Aggregates<br><sup>an unknown note</sup>") == "聚合视图<br><sup>an unknown note</sup>"
    assert i18n.translate_title("Loss") == "损失"
