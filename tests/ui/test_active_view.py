"""The *Label next* panel and its API actions, without a browser: a real tiny run ranks a pool, rows are
labelled, skipped and undone, the labels downloaded and a retrain started; sessions are their owner's; bad
input is one gr.Error."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from core import runs
from core.runs.meta import share_run, write_owner
from tests.ui.test_suspects_view import _run
from ui.api.access import Access, Account
from ui.api.endpoints import ENDPOINTS, Api
from ui.api.session import Places
from ui.api.tools import ARGS, described
from ui.tabs.data.active_panel import build_active_panel


def _pool(tmp_path: Path) -> Path:
    pool = tmp_path / "pool.csv"
    pool.write_text("text\n" + "\n".join(f"a film number {i} that was {'great' if i % 2 else 'dull'}"
                                         for i in range(15)) + "\n")
    return pool


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    base = tmp_path_factory.mktemp("active")
    data = base / "reviews.csv"
    rows = [f"{w} {i},{'positive' if k < 2 else 'negative'}" for i in range(8)
            for k, w in enumerate(["great film", "loved it", "awful film", "hated it"])]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    return _run(base / "runs", data, tiny_models("bert"))


def test_the_panel_ranks_labels_undoes_and_retrains(trained: Path, tmp_path: Path) -> None:
    api = Api(Places.at(trained.parent))
    with gr.Blocks():
        panel = build_active_panel(api, gr.State(trained.name))
    seen: list[float] = []
    shown = panel.on_rank(trained.name, str(_pool(tmp_path)), 5, "margin", progress=lambda f, desc=None: seen.append(f))
    saved, where, text = shown[0], shown[1], shown[2]
    assert saved["session"].startswith("s-") and "Row 1 of 5" in where and text and seen[-1] == 1.0
    assert set(shown[4]) == {"positive", "negative"} and shown[5].value in {"positive", "negative"}
    shown = panel.on_save(saved, "negative", [])
    assert "Row 2 of 5: 1 labelled" in shown[1]
    shown = panel.on_skip(shown[0])
    assert "1 skipped" in shown[1]
    shown = panel.on_undo(shown[0])
    assert "Row 2 of 5: 1 labelled, 0 skipped" in shown[1]
    with pytest.raises(gr.Error, match="Choose a label first"):
        panel.on_save(shown[0], None, [])
    offered = panel.on_download(shown[0]).value
    csv = Path(offered["path"] if isinstance(offered, dict) else offered)
    assert csv.read_text().splitlines()[0] == "row,text,label"
    new_id, message = panel.on_retrain(shown[0])
    assert runs.read_json(trained.parent / new_id / "data_added.json")["rows"][0]["label"] == "negative"
    assert "1 new labelled rows" in message
    assert runs.wait_for(trained.parent / new_id, timeout=600)["state"] == "finished"
    with pytest.raises(gr.Error, match="not one of this run's labels"):
        api.active.label_row(trained.name, saved["session"], shown[0]["row"], "neutral")
    with pytest.raises(gr.Error, match="Rank a pool first"):
        panel.on_skip(None)
    assert panel.on_restore({"run_id": trained.name, "session": "s-0000000000000000"})[0] is None


def test_sessions_are_their_owners(trained: Path, tmp_path: Path) -> None:
    accounts = [Account("ann", "a", "member"), Account("bob", "b", "member"), Account("val", "v", "viewer")]
    api = Api(Places.at(trained.parent), Access(accounts))
    ann, bob, val = (SimpleNamespace(username=name, headers={}) for name in ("ann", "bob", "val"))
    write_owner(trained, "ann")
    share_run(trained, True)
    pool = api.uploads.store(_pool(tmp_path), ann)
    started = api.active.next_rows(trained.name, pool, batch=3, request=ann)
    session, row = started["session"], started["next"]["row"]
    with pytest.raises(gr.Error, match="no labelling session"):
        api.active.labelling_session(trained.name, session, request=bob)  # bob sees the run, not ann's session
    with pytest.raises(gr.Error, match="no labelling session"):
        api.active.label_row(trained.name, session, row, "positive", request=bob)
    with pytest.raises(gr.Error, match="no upload"):
        api.active.next_rows(trained.name, pool, batch=3, request=bob)  # ann's upload
    with pytest.raises(gr.Error):
        api.active.label_row(trained.name, session, row, "positive", request=val)  # viewers change nothing
    assert api.active.label_row(trained.name, session, row, "positive", request=ann)["counts"]["labelled"] == 1
    with pytest.raises(gr.Error, match="batch is 1 to"):
        api.active.next_rows(trained.name, pool, batch=0, request=ann)


def test_every_published_parameter_is_described(tmp_path: Path) -> None:
    """The MCP tools' parameter descriptions (``ui.api.tools.ARGS``) cover every published operation exactly."""
    import inspect

    api = Api(Places.at(tmp_path / "runs"))
    for concern, name, _ in ENDPOINTS:
        parameters = [p for p in inspect.signature(getattr(getattr(api, concern), name)).parameters if p != "request"]
        assert list(ARGS[name]) == parameters, name
    assert {name for _, name, _ in ENDPOINTS} == set(ARGS)

    def op(run_id: str) -> None:
        """Do it."""

    assert described(op, "stop_training").__doc__ == "Do it.\n\nArgs:\n    run_id: a run id, as list_runs returns it"


def test_a_cold_start_says_why_its_rows_were_picked() -> None:
    from ui.tabs.data.active_panel import progress_line

    view = {"counts": {"labelled": 1, "skipped": 0, "total": 5}, "next": {"row": 3}}
    assert progress_line(view).endswith("U undo.")
    assert "these rows are a random sample of the pool" in progress_line({**view, "cold_start": True})
