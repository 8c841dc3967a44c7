"""The suspect-labels panel and its API actions, without a browser: a real tiny run listed, rows ticked,
a retrain started on the corrected rows; read-only sessions refused; bad input as one gr.Error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from ui.api.access import Access
from ui.api.endpoints import Api
from ui.api.labels import chosen_changes
from ui.api.session import Places
from ui.tabs.data.suspects_panel import build_suspects_panel
from ui.tabs.format import md_escape


def test_ticked_rows_become_drops_and_relabels_relabel_winning() -> None:
    table = pd.DataFrame({"drop": [True, "true", "false", True], "relabel": [False, "false", "false", "true"],
                          "row": [4, "7", 9, "2"], "text": ["a", "b", "c", "d"], "given": ["x", "x", "y", "y"],
                          "suggested": ["y", "y", "x", "x"], "confidence": [0.9] * 4, "score": [0.9] * 4})
    assert chosen_changes(table) == ([4, 7], {"2": "x"})
    assert chosen_changes(None) == ([], {})


def _run(root: Path, data: Path, model: Path) -> Path:
    from core.job import run_training

    train = TrainSettings(max_steps=4, batch_size=4, eval_steps=2, learning_rate=1e-3, device="cpu")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model), train=train)
    run_dir = job.create_run(config, root=root)
    assert run_training(run_dir)["state"] == "finished"
    return run_dir


def test_the_panel_lists_suspects_and_retrains_without_the_ticked_rows(tmp_path: Path, tiny_models: Any,
                                                                        sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    run_dir = _run(root, sentiment_csv, tiny_models("bert"))
    api = Api(Places.at(root))
    with gr.Blocks():
        panel = build_suspects_panel(api, gr.State(run_dir.name))
    shown, note = panel.on_find(run_dir.name, 5)
    table = pd.DataFrame(shown.value["data"], columns=shown.value["headers"])
    assert shown.datatype[:3] == ["bool", "bool", "number"]
    assert list(table.columns[:3]) == ["drop", "relabel", "row"] and len(table) == 5 and "5 most suspect" in note
    table.loc[0, ["drop", "relabel"]] = [False, True]
    new_id, message = panel.on_retrain(run_dir.name, table)
    changes = runs.read_json(root / new_id / "data_changes.json")
    assert len(changes["dropped"]) == 4 and [c["row"] for c in changes["relabelled"]] == [int(table.at[0, "row"])]
    assert (root / "uploads" / changes["train_file"]).is_file() and md_escape(new_id) in message
    assert runs.wait_for(root / new_id, timeout=600)["state"] == "finished"
    assert api.labels.suspects(run_dir.name, top=3)[0].keys() >= {"row", "text", "given", "suggested", "confidence"}
    with pytest.raises(gr.Error, match="between 1 and"):
        api.labels.suspects(run_dir.name, top=0)
    with pytest.raises(gr.Error, match="not a run id"):
        api.labels.suspects("../etc", top=3)
    with pytest.raises(gr.Error):
        Api(Places.at(root), Access(read_only=True)).labels.retrain_fixed(run_dir.name, [0], {})
