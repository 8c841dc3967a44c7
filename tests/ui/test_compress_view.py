"""The Compress panel and its API (``/compress_run``, ``/compression``), without a browser: a real tiny run made
8-bit and measured, a student queued and trained, and every bad request one gr.Error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from ui.api.access import Access
from ui.api.endpoints import ENDPOINTS, Api
from ui.api.session import Places
from ui.tabs.runs.compress_panel import HEADERS, build_compress_panel


def _run(root: Path, data: Path, model: Path) -> Path:
    train = TrainSettings(max_steps=4, batch_size=4, eval_steps=2, learning_rate=1e-3, device="cpu")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model), train=train)
    run_dir = job.create_run(config, root=root)
    assert job.run_training(run_dir)["state"] == "finished"
    return run_dir


def test_panel_makes_an_8bit_copy_and_a_student_and_compares_them(tmp_path: Path, tiny_models: Any,
                                                                   sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    parent = _run(root, sentiment_csv, tiny_models("bert"))
    api = Api(Places.at(root))
    assert {("compression", "compress_run", True), ("compression", "compression", True)} <= set(ENDPOINTS)
    with gr.Blocks():
        panel = build_compress_panel(api, gr.State(parent.name))
    shown = panel.on_compress(parent.name, "int8", 3)
    table = shown[panel.table]["value"]
    assert list(table.columns) == HEADERS and len(table) == 2
    assert "faster on one text" in shown[panel.status] and parent.name in table.iloc[0, 0]
    made = [r["run_id"] for r in api.runs.list_runs() if r["run_id"] != parent.name]
    assert len(made) == 1 and runs.read_status(root / made[0])["state"] == "finished"
    student = api.compression.compress_run(parent.name, "distil", 1)
    assert student["state"] == "queued" and student["parent"] == parent.name
    assert runs.wait_for(root / student["run_id"], timeout=600)["state"] == "finished"
    measured = api.compression.compression(student["run_id"])
    assert [row["layers"] for row in measured["rows"]] == [2, 1] and "key" not in measured
    again = panel.on_measure(student["run_id"])
    assert len(again[panel.table]["value"]) == 2


@pytest.mark.parametrize(("call", "words"), [
    (lambda api, run: api.compression.compress_run(run, "zip"), "method must be one of"),
    (lambda api, run: api.compression.compress_run(run, "distil", 0), "between 1 and"),
    (lambda api, run: api.compression.compress_run(run, "distil", "x"), "whole number"),
    (lambda api, run: api.compression.compress_run("../etc", "int8"), "not a run id"),
    (lambda api, run: api.compression.compression(run), "not made by compressing"),
])
def test_bad_requests_are_one_sentence(tmp_path: Path, tiny_models: Any, sentiment_csv: Path, call: Any,
                                       words: str) -> None:
    root = tmp_path / "runs"
    parent = _run(root, sentiment_csv, tiny_models("bert"))
    with pytest.raises(gr.Error, match=words):
        call(Api(Places.at(root)), parent.name)


def test_read_only_sessions_cannot_compress(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    parent = _run(root, sentiment_csv, tiny_models("bert"))
    with pytest.raises(gr.Error):
        Api(Places.at(root), Access(read_only=True)).compression.compress_run(parent.name, "int8")
    assert [r["run_id"] for r in Api(Places.at(root)).runs.list_runs()] == [parent.name]
