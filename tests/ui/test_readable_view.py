"""Can the model read the data, in the app: the ``/inspect_data`` result's readability field, the Data tab's
report line, the Train tab's plan line, and ``/start_training`` refusing unreadable data without the
confirmation (a ``gr.Error`` with the one sentence), in English and in Chinese."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd
import pytest

from tests.tiny import CORPUS, make_tiny_model, make_wordpiece_model
from ui.api.endpoints import Api
from ui.api.session import Places
from ui.i18n.languages import CHINESE, tr
from ui.tabs.data.format import report_markdown
from ui.tabs.train.tab import TrainTab

CHINESE_ROWS = ["这部电影非常好看", "服务态度太差了", "质量不错物流很快", "演员的表演很精彩"] * 6


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_wordpiece_model(tmp_path_factory.mktemp("wp-en"), "abcdefghijklmnopqrstuvwxyz")


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("gpt2"), "gpt2")


def _upload(api: Api, tmp_path: Path) -> str:
    path = tmp_path / "reviews.csv"
    rows = CHINESE_ROWS + CORPUS[:6]
    pd.DataFrame({"text": rows, "label": ["pos", "neg"] * (len(rows) // 2)}).to_csv(path, index=False)
    return api.uploads.store(path)


def test_inspect_data_and_the_data_tab_say_it(tmp_path: Path, english: Path, decoder: Path) -> None:
    api = Api(Places.at(tmp_path / "runs", folders=[english, decoder]))
    upload = _upload(api, tmp_path)
    result = api.data.inspect_data(upload, model=str(english))
    found = result["health"]["readability"]
    assert found["unreadable"] and found["unreadable_scripts"] == ["Han"] and set(found["scripts"]) == {"Han", "Latin"}
    assert found["message"] in result["warnings"]
    text = report_markdown(result)
    assert "Scripts: Han" in text and "unknown to the model" in text and "cannot read Han text" in text
    chinese = tr(found["message"], CHINESE)
    assert "无法读取汉字文本" in chinese and "cannot" not in chinese
    readable = api.data.inspect_data(upload, model=str(decoder))
    assert not readable["health"]["readability"]["unreadable"]
    assert "byte-level: it reads every script" in report_markdown(readable)


def test_the_plan_line_and_start_training(tmp_path: Path, english: Path, decoder: Path) -> None:
    api = Api(Places.at(tmp_path / "runs", folders=[english, decoder]))
    upload = _upload(api, tmp_path)
    choice = {"upload": upload, "text_column": "text", "label_column": "label"}
    assert "cannot read Han text" in api.data.read_check(choice, str(english))
    assert api.data.read_check(choice, str(decoder)) == ""
    assert api.data.read_check(None, str(english)) == ""
    tab = SimpleNamespace(api=api)  # the Train tab's plan line, without building the page
    plan = TrainTab.show_plan(tab, str(english), choice)
    assert "**Start training**" in plan and "⚠️" in plan and "cannot read Han text" in plan
    assert "cannot read" not in TrainTab.show_plan(tab, str(decoder), choice)
    with pytest.raises(gr.Error, match="cannot read Han text.*allow_unreadable") as refused:
        api.training.start_training(upload, str(english), {"device": "cpu"})
    chinese = tr(refused.value.message, CHINESE)  # the toast in a Chinese page: one whole translated sentence
    assert "无法读取汉字文本" in chinese and "即使模型读不懂文本也要训练" in chinese and "cannot" not in chinese
    assert not any((tmp_path / "runs").glob("*/config.json"))  # refused before any run folder


def test_predict_warns_on_a_text_and_a_file(tmp_path: Path, english: Path, decoder: Path) -> None:
    api = Api(Places.at(tmp_path / "runs", folders=[english, decoder]))
    said = api.predictions.predict(CHINESE_ROWS[0], str(english))["warnings"]
    assert any("cannot read Han text" in w for w in said)
    assert not any("cannot read" in w for w in api.predictions.predict("a dull film", str(english))["warnings"])
    path = tmp_path / "to-predict.csv"
    pd.DataFrame({"text": CHINESE_ROWS}).to_csv(path, index=False)
    summary = api.predictions.predict_file(str(path), "text", str(english))["summary"]
    assert summary["readability"]["unreadable"] and "cannot read Han text" in summary["warnings"][0]
