"""The run catalog: every run with its name, tags, times, base model, size and best metric; damaged folders
listed (never raised); the event log read from its two ends only."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.runs import timeline
from core.runs.catalog import base_model_name, run_summary

OLD_KEYS = {"run_id", "run_dir", "state", "model", "data", "labels", "accuracy", "f1_macro", "has_model", "updated_at"}
NEW_KEYS = {"name", "tags", "created_at", "duration_seconds", "best_metric", "best_metric_name", "base_model", "rows",
            "epochs"}


def _event_line(**event: Any) -> str:
    return json.dumps(event) + "\n"


def test_real_runs_are_listed_newest_first_with_every_field(trained_runs: dict[str, Path]) -> None:
    listed = runs.list_runs(trained_runs["a"].parent)
    assert [r["run_id"] for r in listed] == [trained_runs["b"].name, trained_runs["a"].name]
    for run in listed:
        assert run.keys() >= OLD_KEYS | NEW_KEYS
        config = json.loads((Path(run["run_dir"]) / "config.json").read_text())
        metrics = json.loads((Path(run["run_dir"]) / "metrics.json").read_text())
        assert run["state"] == "finished" and run["has_model"] and run["reason"] is None
        assert run["name"] == run["run_id"] and run["tags"] == []
        assert run["rows"] == config["resolved"]["train_rows"] == 18
        assert run["epochs"] == 1.2 and run["max_steps"] == 6  # auto length under max_steps: 6 steps of 5 an epoch and run["global_step"] == 6
        assert run["base_model"] == Path(config["model"]).name
        assert run["best_metric"] == metrics[run["best_metric_name"]]
        assert dt.datetime.fromisoformat(run["created_at"]).tzinfo is not None
        events = runs.read_events(run["run_dir"])
        assert run["duration_seconds"] == pytest.approx(events[-1]["time"] - events[0]["time"], abs=0.1)
    assert [r["best_metric_name"] for r in listed] == ["eval_loss", "f1_macro"]


def test_a_created_run_has_no_duration_and_its_rows_come_from_the_data_report(
        tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from tests.core.runs.test_runs import make_run

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    [run] = runs.list_runs(tmp_path)
    assert run["state"] == "created" and run["duration_seconds"] is None and run["best_metric"] is None
    assert run["rows"] == 40  # every kept row: the validation split is not made yet
    assert run["created_at"] is not None and run["run_dir"] == str(run_dir)


def test_duration_runs_from_the_first_started_event_to_the_last_line(tmp_path: Path,
                                                                     copy_run: Callable[..., Path],
                                                                     trained_runs: dict[str, Path]) -> None:
    run_dir = copy_run(trained_runs["a"], tmp_path / "runs")
    (run_dir / "events.jsonl").write_text(
        _event_line(time=50.0, event="failed", message="no device")  # a first attempt that never trained
        + _event_line(time=100.0, event="started", resumed_from_step=0)
        + _event_line(time=130.0, event="step", step=1, loss=0.7)
        + _event_line(time=160.5, event="finished", step=1, best_metric=0.5)
        + '{"time": 999.0, "event": "st')  # a line still being written is not read
    [run] = runs.list_runs(tmp_path / "runs")
    assert run["duration_seconds"] == 60.5
    assert run["created_at"] == "1970-01-01T00:00:50+00:00"


def test_an_active_run_counts_its_duration_up_to_now(tmp_path: Path, copy_run: Callable[..., Path],
                                                     trained_runs: dict[str, Path]) -> None:
    run_dir = copy_run(trained_runs["a"], tmp_path / "runs")
    started = time.time() - 1000
    (run_dir / "events.jsonl").write_text(_event_line(time=started, event="started", resumed_from_step=0)
                                          + _event_line(time=started + 5, event="step", step=1, loss=0.7))
    runs.write_status(run_dir, "running")  # this test process's pid: alive
    [run] = runs.list_runs(tmp_path / "runs")
    assert run["state"] == "running" and run["duration_seconds"] >= 1000
    assert runs.latest_active_run(tmp_path / "runs") == run_dir


def test_best_metric_falls_back_to_the_final_event(tmp_path: Path, copy_run: Callable[..., Path],
                                                   trained_runs: dict[str, Path]) -> None:
    run_dir = copy_run(trained_runs["a"], tmp_path / "runs")
    (run_dir / "metrics.json").unlink()
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as handle:
        handle.write(_event_line(time=time.time(), event="stopped", step=6, best_metric=0.625))
    [run] = runs.list_runs(tmp_path / "runs")
    assert (run["best_metric"], run["best_metric_name"], run["accuracy"]) == (0.625, "f1_macro", None)


def _damage(run_dir: Path, how: str) -> None:
    if how == "config garbage":
        (run_dir / "config.json").write_text("{not json")
    elif how == "config missing":
        (run_dir / "config.json").unlink()
    elif how == "status binary":
        (run_dir / "status.json").write_bytes(b"\xff\xfe\x00garbage")
    elif how == "status list":
        (run_dir / "status.json").write_text("[1, 2]")
    elif how == "status missing":
        (run_dir / "status.json").unlink()
    elif how == "launch list":
        (run_dir / "launch.json").write_text('["not", "an", "object"]')
    elif how == "events garbage":
        (run_dir / "events.jsonl").write_bytes(b"\xff" * 5000 + b"\n{]\n")
    elif how == "meta garbage":
        (run_dir / "meta.json").write_text('{"name": 5, "tags": "x"}')


DAMAGES = ["config garbage", "config missing", "status binary", "status list", "status missing", "launch list",
           "events garbage", "meta garbage"]


def test_damaged_folders_are_listed_with_a_reason_never_raised(tmp_path: Path, copy_run: Callable[..., Path],
                                                               trained_runs: dict[str, Path]) -> None:
    root = tmp_path / "runs"
    for n, how in enumerate(DAMAGES):
        _damage(copy_run(trained_runs["a"], root, f"2026-{n}-{how.replace(' ', '-')}"), how)
    (root / "uploads").mkdir()  # not runs: no config.json nor status.json, a model folder, a file, a leftover
    (root / "model-folder").mkdir()
    (root / "model-folder" / "config.json").write_text('{"model_type": "bert"}')
    (root / "notes.txt").write_text("hello")
    copy_run(trained_runs["a"], root, ".deleting-20260101-old")
    listed = {r["run_id"].split("-", 2)[2]: r for r in runs.list_runs(root)}
    assert sorted(listed) == sorted(how.replace(" ", "-") for how in DAMAGES)
    for how in DAMAGES[:6]:
        run = listed[how.replace(" ", "-")]
        assert run["state"] == "damaged" and run["reason"], how
        assert run.keys() >= OLD_KEYS | NEW_KEYS
    assert "config.json" in listed["config-garbage"]["reason"] and "status.json" in listed["status-list"]["reason"]
    assert listed["events-garbage"]["state"] == "finished" and listed["events-garbage"]["duration_seconds"] is None
    assert listed["meta-garbage"]["name"] == listed["meta-garbage"]["run_id"] and listed["meta-garbage"]["tags"] == []
    assert run_summary(root / "uploads") is None


def test_the_last_event_is_read_from_the_end_of_a_long_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "events.jsonl"
    step = _event_line(time=1.0, event="step", step=1, loss=0.5, learning_rate=1e-4, grad_norm=2.0)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_event_line(time=1.0, event="started", resumed_from_step=0))
        handle.write(step * (20_000_000 // len(step)))
        handle.write(_event_line(time=2.0, event="step", step=2, note="x" * 20_000))  # longer than one block
        handle.write(_event_line(time=3.0, event="finished", step=9, note="y" * 30_000))
    read = []
    real_open = open

    class Counting:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.handle = real_open(*args, **kwargs)

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.handle.close()

        def read(self, size: int = -1) -> bytes:
            data = self.handle.read(size)
            read.append(len(data))
            return data

        def readline(self, size: int = -1) -> bytes:
            data = self.handle.readline(size)
            read.append(len(data))
            return data

        def seek(self, *args: Any) -> int:
            return self.handle.seek(*args)

    monkeypatch.setattr(timeline, "open", Counting, raising=False)
    assert timeline.last_event(path)["event"] == "finished"
    first, started = timeline.head_events(path)
    assert first == started and started["time"] == 1.0
    assert sum(read) < 600_000  # of a 20 MB log


def test_base_model_display_names(tmp_path: Path, trained_runs: dict[str, Path]) -> None:
    assert base_model_name("default").startswith("MiniLM-L6")
    assert base_model_name("distilbert/distilbert-base-uncased") == "distilbert/distilbert-base-uncased"
    assert base_model_name(str(trained_runs["a"])) == f"run {trained_runs['a'].name}"
    assert base_model_name(str(trained_runs["a"] / "model")) == f"run {trained_runs['a'].name}"
    assert base_model_name("/models/my-bert/") == "my-bert"
    assert base_model_name(None) is None and base_model_name(["x"]) is None


def test_find_run_by_id_or_path(tmp_path: Path, trained_runs: dict[str, Path]) -> None:
    root = trained_runs["a"].parent
    assert runs.find_run(trained_runs["a"].name, root) == trained_runs["a"]
    assert runs.find_run(str(trained_runs["b"]), tmp_path) == trained_runs["b"]
    for bad in ("nope", "/nonexistent/" + root.name, "", "  "):
        with pytest.raises(runs.RunError, match="no run"):
            runs.find_run(bad, tmp_path / "empty")
