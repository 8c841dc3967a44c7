"""The Compare panel and its API (``/compare_models``, ``/comparison``, ``/list_comparisons``), without a browser:
two candidates queued and trained, the table, figure and recommendation; accounts see only their own
comparisons; bad requests are one gr.Error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from core import runs
from ui.api.access import Access
from ui.api.endpoints import ENDPOINTS, Api
from ui.api.session import Places
from ui.tabs.train.compare_panel import HEADERS, ComparisonView, comparison_table, recommendation


def _upload(api: Api, path: Path) -> str:
    copy = path.with_name(f"sent-{path.name}")
    copy.write_bytes(path.read_bytes())
    return api.context.store_upload(copy)


def test_two_candidates_train_and_one_is_recommended(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    model = tiny_models("bert")
    api = Api(Places.at(root, [model]))
    assert {("comparisons", "compare_models", False), ("comparisons", "comparison", True)} <= set(ENDPOINTS)
    assert (str(model.resolve()), f"folder:{model.resolve()}") in api.comparisons.candidate_models()
    upload = _upload(api, sentiment_csv)
    started = api.comparisons.compare_models(upload, [f"folder:{model}@finetune", f"folder:{model}@lora"], epochs=1,
                                             settings={"batch_size": 4, "device": "cpu"})
    assert [r["recipe"] for r in started["runs"]] == ["finetune", "lora"]
    assert all(str(tmp_path) not in r["candidate"] or "folder:" in r["candidate"] for r in started["runs"])
    for entry in started["runs"]:
        assert runs.wait_for(root / entry["run_id"], timeout=600)["state"] == "finished"
    result = api.comparisons.comparison(started["comparison_id"])
    assert result["pending"] == 0 and result["recommended"]["run_id"] in result["front"]
    table = comparison_table(result)
    assert list(table.columns) == HEADERS and table.iloc[:, 0].str.startswith("★").sum() == 1
    assert recommendation(result).startswith("Recommended:")
    with gr.Blocks():
        view = ComparisonView(api)
    shown = view.show(started["comparison_id"])
    assert "Recommended" in shown[view.status] and shown[view.plot]["visible"]
    assert [c["id"] for c in api.comparisons.list_comparisons()] == [started["comparison_id"]]


@pytest.mark.parametrize(("candidates", "extra", "words"), [
    (["default@finetune"], {}, "between 2 and"),
    (["default@boost", "default"], {}, "recipe must be one of"),
    (["default", "default@setfit"], {"epochs": 0}, "one budget"),
    (["default", "default@setfit"], {"epochs": "many"}, "must be numbers"),
    (["folder:/etc", "default"], {}, "offer|not"),
    (["run:../x", "default"], {}, "not a run id"),
    ("default", {}, "must be a list"),
])
def test_bad_requests_are_one_sentence(tmp_path: Path, sentiment_csv: Path, candidates: Any, extra: dict[str, Any],
                                       words: str) -> None:
    api = Api(Places.at(tmp_path / "runs"))
    upload = _upload(api, sentiment_csv)
    with pytest.raises(gr.Error, match=words):
        api.comparisons.compare_models(upload, candidates, **extra)
    assert runs.list_runs(tmp_path / "runs") == []


def test_read_only_sessions_cannot_compare(tmp_path: Path, sentiment_csv: Path) -> None:
    api = Api(Places.at(tmp_path / "runs"), Access(read_only=True))
    with pytest.raises(gr.Error):
        api.comparisons.compare_models("x", ["default", "default@setfit"])
    with pytest.raises(gr.Error, match="not a comparison id"):
        Api(Places.at(tmp_path / "runs")).comparisons.comparison("../../etc/passwd")
