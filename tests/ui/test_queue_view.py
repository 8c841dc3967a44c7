"""What the app tells about a waiting run: /training_status, the Train tab's status and the Runs tab's table.

The device is held by the test itself (a lock record naming a 'running' run of alice's), so the queued runs stay
queued whatever the app's scheduler thread does, and nothing trains.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from core import runs
from core.data.uploads import store_upload
from core.runs import lock, meta
from core.runs.queue import queue_run
from tests.core.runs.test_runs import make_run
from ui.api.access import Access, Account
from ui.api.endpoints import Api
from ui.api.session import Places
from ui.tabs.runs.format import runs_table
from ui.tabs.train.format import status_markdown


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_models: Any, sentiment_csv: Path) -> Any:
    """An app with accounts on a runs folder where alice's run 'ahead' holds the CPU and two runs wait."""
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    monkeypatch.setenv("TUNESCOPE_DEVICES", "cpu")
    root = tmp_path / "runs"
    made = make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"))
    ahead, first, second = (Path(shutil.copytree(made, root / name)) for name in ("ahead", "first", "second"))
    meta.write_owner(ahead, "alice")
    fd = lock.reserve("cpu")
    lock.write_holder(fd, lock.holder_record(ahead, os.getpid(), "cpu", owner="alice"))
    event = {"event": "step", "step": 10, "total_steps": 40, "eta_seconds": 90, "elapsed": 30, "time": time.time()}
    runs.RunPaths(ahead).events.write_text(json.dumps(event) + "\n", encoding="utf-8")
    for folder in (first, second):  # bob's runs, shared with the lab so every member may watch them
        meta.write_owner(folder, "bob")
        meta.share_run(folder, True)
        queue_run(folder, owner="bob")
    api = Api(Places.at(root), Access([Account("alice", "a"), Account("bob", "b"), Account("eve", "e")]))
    yield SimpleNamespace(api=api, root=root)
    for folder in (first, second):
        runs.request_stop(folder)  # out of the queue before the device is let go: nothing starts
    lock.release(fd)


def as_user(name: str) -> Any:
    return SimpleNamespace(username=name)


def test_training_status_gives_place_run_ahead_and_estimate_and_the_owner_only_to_its_owner(held: Any) -> None:
    training = held.api.training
    status = training.training_status("second", request=as_user("alice"))["status"]
    assert status["state"] == "queued" and status["queue"]["place"] == 2 and status["queue"]["ahead"]["step"] == 10
    assert status["message"].startswith("Queued, 2nd in line for cpu: waiting for run 'ahead' (alice, step 10/40, ")
    assert "estimated start in about" in status["message"]
    for viewer in ("bob", "eve"):
        hidden = training.training_status("second", request=as_user(viewer))["status"]
        assert "alice" not in json.dumps(hidden) and "run 'ahead' (step 10/40" in hidden["message"]
    assert "alice" not in json.dumps(training.training_status("second")["status"])  # a call naming no account
    watched = training.watch("first", as_user("alice"))
    assert watched["active"] and watched["status"]["queue"]["place"] == 1
    shown = status_markdown(watched["folder"], watched["status"])
    assert "⏳ Queued, next in line for cpu" in shown and "[" not in shown.split("⏳")[1]
    assert training.queue_places() == {"first": 1, "second": 2}
    table = runs_table(held.api.runs.list_runs(), training.queue_places())
    assert set(table[table["run"] == "second"]["state"]) == {"queued · #2 in line"}
    alice = as_user("alice")
    assert training.queue_text("ahead", alice) == "" and "2nd in line" in training.queue_text("second", alice)


def test_stop_of_a_waiting_run_is_at_once_and_resume_queues_again(held: Any) -> None:
    training = held.api.training
    bob = as_user("bob")  # the runs' owner
    assert training.stop_training("first", request=bob)["state"] == "stopped"
    assert training.training_status("second", request=bob)["status"]["queue"]["place"] == 1
    resumed = training.resume_training("first", request=bob)  # through the queue: behind 'second' now
    assert resumed["state"] == "queued" and resumed["queue"]["place"] == 2


def test_a_run_on_a_device_the_app_does_not_train_on_is_refused_in_one_sentence(held: Any,
                                                                                 sentiment_csv: Path) -> None:
    upload = store_upload(sentiment_csv, held.api.context.places.uploads, owner="bob")
    before = sorted(p.name for p in held.root.iterdir())
    with pytest.raises(gr.Error, match="This app trains on cpu only: choose the device 'auto' or 'cpu'"):
        held.api.training.start_training(upload, settings={"device": "cuda"}, request=as_user("bob"))
    assert sorted(p.name for p in held.root.iterdir()) == before  # refused before any folder was made
