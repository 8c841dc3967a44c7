"""The Sweep panel's handlers and the sweep API actions, without a browser: a real one-trial sweep started
from the form, watched and opened; read-only sessions refused; bad input as one gr.Error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from core.data.uploads import store_upload
from tests.polling import poll_until
from ui.api.access import Access
from ui.api.endpoints import Api
from ui.api.session import Places
from ui.tabs.train.form import build_form
from ui.tabs.train.sweep_panel import build_sweep_panel, status_markdown, trials_table


def panel_for(root: Path, folders: list[str], read_only: bool = False) -> Any:
    api = Api(Places.at(root, folders), Access(read_only=read_only))
    with gr.Blocks():
        state = {name: gr.State(None) for name in ("data", "base", "view", "run", "tab")}
        form = build_form()
        panel = build_sweep_panel(api, state, form)
    return panel


def form_values(panel: Any, data: dict[str, Any], base: str, **changes: Any) -> dict[Any, Any]:
    values = {control: control.value for control in panel.form.values()}
    values.update({panel.form[name]: value for name, value in changes.items()})
    values.update({panel.ranges[name]: "" for name in panel.ranges})
    values.update({panel.ranges["learning_rate"]: "1e-4:1e-3:log", panel.budget: "trials", panel.trials: 1,
                   panel.minutes: 60, panel.state["data"]: data, panel.state["base"]: base})
    return values


def test_panel_starts_a_sweep_watches_it_and_opens_the_best_run(tmp_path: Path, tiny_models: Any,
                                                                 sentiment_csv: Path) -> None:
    model = str(tiny_models("bert"))
    panel = panel_for(tmp_path, [model])
    upload = store_upload(sentiment_csv, panel.api.context.places.uploads)
    data = {"upload": upload, "text_column": "review", "label_column": "sentiment", "text_pair_column": None}
    values = form_values(panel, data, f"folder:{model}", max_steps=6, batch_size=4, device="cpu", val_fraction=0.25)
    started = panel.on_start(values)
    sweep_id = started[panel.sweep]
    assert started[panel.watch].value == sweep_id and sweep_id.endswith("-reviews-sweep")
    poll_until(lambda: panel.api.sweeps.sweep_status(sweep_id)["state"] not in ("queued", "running"),
               f"sweep {sweep_id} did not end")
    status = panel.api.sweeps.sweep_status(sweep_id)
    assert status["state"] == "finished" and status["counts"]["complete"] == 1, status
    assert "storage" not in status and "host" not in status["trials"][0]  # no server paths or names for clients
    shown = panel.poll(sweep_id, "parallel coordinates")
    best_run = status["best"]["run_id"]
    assert shown[panel.best_run] == best_run and shown[panel.open_best]["visible"] is True
    assert shown[panel.timer].active is False  # the timer stops once the sweep ended
    assert list(shown[panel.table]["trial"]) == ["★ 0"] and list(shown[panel.table]["run"]) == [best_run]
    assert panel.on_open_best(sweep_id) == f"run:{best_run}"


def test_read_only_sessions_cannot_start_or_stop(tmp_path: Path) -> None:
    panel = panel_for(tmp_path, [], read_only=True)
    assert panel.start.visible is False and panel.stop.visible is False
    with pytest.raises(gr.Error, match="read-only"):
        panel.on_start({})
    with pytest.raises(gr.Error, match="read-only"):
        panel.api.sweeps.sweep_stop("any")
    with pytest.raises(gr.Error, match="read-only"):
        panel.api.sweeps.sweep_start("x.csv")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"space": "momentum=0:1"}, "cannot be searched"),
    ({"space": "learning_rate=3:1"}, "low end below"),
    ({"space": {"learning_rate": ""}}, "empty"),
    ({"space": "x" * 2000}, "more than 1000"),
    ({"trials": 500}, "from 1 to 100"),
    ({"trials": None, "minutes": None}, "budget"),
    ({"trials": None, "minutes": 10**6}, "minutes"),
])
def test_api_refuses_bad_sweeps_in_one_sentence(tmp_path: Path, sentiment_csv: Path, kwargs: dict[str, Any],
                                                message: str) -> None:
    api = Api(Places.at(tmp_path))
    upload = store_upload(sentiment_csv, api.context.places.uploads)
    with pytest.raises(gr.Error, match=message):
        api.sweeps.sweep_start(upload, **kwargs)
    assert api.sweeps.list_sweeps() == []


def test_api_names_sweeps_by_id_only(tmp_path: Path) -> None:
    api = Api(Places.at(tmp_path))
    for bad in ("../../etc", "/tmp/x", "nosuch"):
        with pytest.raises(gr.Error, match="sweep"):
            api.sweeps.sweep_status(bad)


def test_table_and_status_mark_the_best_trial() -> None:
    status = {"sweep_id": "s1", "state": "running", "metric": "f1_macro", "space": "learning_rate=1e-05:0.001:log",
              "budget": {"trials": 5, "timeout": None}, "message": None,
              "counts": {"complete": 1, "pruned": 1, "failed": 0, "running": 1},
              "trials": [{"number": 0, "state": "complete", "params": {"learning_rate": 1e-4}, "value": 0.9,
                          "run_id": "s1-t000"},
                         {"number": 1, "state": "pruned", "params": {"learning_rate": 1e-3}, "value": 0.5,
                          "run_id": "s1-t001", "message": "pruned after validation 2"},
                         {"number": 2, "state": "running", "params": {"learning_rate": 3e-5}, "value": None,
                          "run_id": "s1-t002", "step": 3, "total_steps": 12}]}
    status["best"] = status["trials"][0]
    table = trials_table(status)
    assert list(table.columns) == ["trial", "state", "learning_rate", "f1_macro", "run", "note"]
    assert list(table["trial"]) == ["★ 0", "1", "2"] and list(table["state"]) == ["complete", "pruned", "running 3/12"]
    text = status_markdown(status)
    assert "2 trial(s) done of 5 trials" in text and "Best so far: trial 0" in text and "`s1-t000`" in text


def test_restore_without_an_active_sweep_updates_nothing(tmp_path: Path) -> None:
    panel = panel_for(tmp_path, [])
    update = panel.restore()
    assert set(update) <= set(panel.restore_outputs) and update  # component keys: Gradio reads "no change"
