"""The Attention tab's ``render`` for every view on a tiny fake run (belongs in tests/ui; kept here by owner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gradio as gr
import pytest

from tests.tiny import make_tiny_model
from ui import attention_views
from ui.actions import Actions
from ui.attention_tab import AttentionTab
from ui.session import DEFAULT, Places


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory, tiny_models) -> Path:
    root = tmp_path_factory.mktemp("attention-run")
    tuned = make_tiny_model(root / "tuned", "bert", labels=["neg", "pos"], seed=2)
    run = root / "run-1"
    shutil.copytree(tuned, run / "model")
    (run / "config.json").write_text(json.dumps({"model": str(tiny_models("bert")), "data": {"train_file": "x.csv"}}))
    (run / "events.jsonl").write_text("")
    return run


@pytest.mark.parametrize("view", list(attention_views.VIEWS))
def test_every_view_renders(fake_run: Path, view: str) -> None:
    result = attention_views.render(str(fake_run), "the movie was great", "i loved it", view, 1, 3, 0.05, False,
                                  True, "pos")
    assert result["figure"].to_json() and (result["layers"], result["heads"]) == (2, 4)
    assert result["labels"] == ["neg", "pos"]
    if view in ("Model grid", "Head statistics", "Base vs fine-tuned", "Head importance"):
        assert len(result["table"]) > 0
    if view == "Attributions":
        assert "<span" in result["html"] and "<script" not in result["html"]


def test_diff_needs_a_run_and_tab_builds(tiny_models) -> None:
    from core.errors import ModelError

    with pytest.raises(ModelError, match="run folder"):
        attention_views.render(str(tiny_models("bert")), "a text", "", "Base vs fine-tuned", 0, 0, 0.0, True, False, None)
    with gr.Blocks():
        tab = AttentionTab(Actions(Places.at(tiny_models("bert").parent / "runs")), {"view": gr.State(DEFAULT)})
    assert tab.layer.maximum == 5 and tab.text.value  # sized for the default model, an example text to start
