"""Drop duplicates in the app: the ``drop_duplicates`` operation makes a new upload of the caller's without the
repeated texts (case, space and full-width variants), the Data tab's button shows it as the data choice, and
the data check's and the button's sentences are one sentence in English and in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest

from ui.api.access import Access, Account
from ui.api.endpoints import ENDPOINTS, Api
from ui.api.session import Places
from ui.i18n.languages import CHINESE, tr
from ui.tabs.data.format import dedupe_message
from ui.tabs.data.tab import DataTab

ROWS = [("Great film", "pos"), ("great  film", "pos"), ("Ｇｒｅａｔ　ｆｉｌｍ", "pos"), ("这部电影很好", "pos"),
        ("这部电影 很好", "pos"), ("Awful plot", "neg"), ("awful plot", "neg"), ("awful PLOT", "pos")]
ROWS += [(f"review number {i}", "pos" if i % 2 else "neg") for i in range(20)]


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    pd.DataFrame(ROWS, columns=["review", "sentiment"]).to_csv(path, index=False)
    return path


def test_drop_duplicates_is_a_new_upload_without_repeats(tmp_path: Path, file: Path) -> None:
    api = Api(Places.at(tmp_path / "runs"))
    upload = api.uploads.store(file)
    assert api.data.inspect_data(upload, model=None)["duplicate_groups"] == 3
    done = api.data.drop_duplicates(upload)
    assert done["upload"] != upload and done["upload"].endswith("-reviews-no-duplicates.csv")
    assert done["rows_dropped"] == 4 and done["conflicting_texts"] == 1 and "written" in done
    assert not any("/" in str(value) for value in done.values())  # ids and counts, never a server path
    after = api.data.inspect_data(done["upload"], model=None)
    assert after["rows"] == len(ROWS) - 4 and after["duplicates"] == 1  # 'awful plot' keeps one row per label
    strict = api.data.drop_duplicates(upload, conflicting="drop")
    assert api.data.inspect_data(strict["upload"], model=None)["duplicates"] == 0
    again = api.data.drop_duplicates(strict["upload"])
    assert again["upload"] == strict["upload"] and not again["written"]  # nothing repeated: no new upload
    with pytest.raises(gr.Error, match="'keep' or 'drop'"):
        api.data.drop_duplicates(upload, conflicting="maybe")
    for forged in (str(file), "../../etc/passwd"):
        with pytest.raises(gr.Error, match="Unknown upload"):
            api.data.drop_duplicates(forged)
    assert ("data", "drop_duplicates", False) in ENDPOINTS


def test_a_viewer_cannot_make_a_copy(tmp_path: Path, file: Path) -> None:
    places = Places.at(tmp_path / "runs")
    upload = Api(places).uploads.store(file)
    with pytest.raises(gr.Error, match="upload"):
        Api(places, Access([Account("ann", "secret", "viewer")])).data.drop_duplicates(upload)


def test_the_data_tab_button_switches_to_the_copy(tmp_path: Path, file: Path) -> None:
    api = Api(Places.at(tmp_path / "runs"))
    with gr.Blocks():
        state = {"data": gr.State(None), "base": gr.State("default"), "run": gr.State(None)}
        tab = DataTab(api, state, None)
    shown = tab.on_file(str(file), None)
    choice = shown[state["data"]]
    assert shown[tab.dedupe].visible is True
    after = tab.on_dedupe(choice, None)
    assert after[state["data"]]["upload"].endswith("-reviews-no-duplicates.csv")
    assert after[state["data"]]["text_column"] == "review"
    assert after[tab.dedupe].visible is False  # only a text with two labels repeats: nothing left to drop


@pytest.mark.parametrize("done", [
    {"written": False},
    {"written": False, "conflicting_texts": 2},
    {"written": True, "rows_dropped": 3, "rows_kept": 25, "conflicting_texts": 0, "conflicting": "keep"},
    {"written": True, "rows_dropped": 3, "rows_kept": 25, "conflicting_texts": 1, "conflicting": "keep"},
    {"written": True, "rows_dropped": 5, "rows_kept": 23, "conflicting_texts": 1, "conflicting": "drop"},
])
def test_each_message_is_one_sentence_in_both_languages(done: dict) -> None:
    english = dedupe_message(done)
    assert english.endswith(".") and english.count(". ") == 0
    chinese = tr(english, CHINESE)
    assert not re.search(r"[A-Za-z]{3,}", chinese), chinese  # no English left


def test_the_data_checks_sentence_reads_in_chinese(tmp_path: Path, file: Path) -> None:
    api = Api(Places.at(tmp_path / "runs"))
    warnings = api.data.inspect_data(api.uploads.store(file), model=None)["warnings"]
    sentence = next(w for w in warnings if "repeat one of" in w)
    chinese = tr(sentence, CHINESE)
    assert "删除重复项" in chinese and not re.search(r"[A-Za-z]{3,}", chinese.replace("python -m core dedupe", ""))
