"""One run's numbers agree everywhere: the Train tab's progress line, the Runs table, /training_status,
``python -m core runs show``, the HTML report's run table, status.json and the events, for a real tiny run that was
stopped and then resumed. All of them read ``core.runs.progress``; the test also recomputes the training time from
the events by its definition (each attempt from its 'started' event to its last event, summed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.cli import main
from core.report.sections import _progress_rows
from core.runs.progress import clock, run_progress
from tests.core.runs.test_runs import SLOW_STEPS, make_run, wait_event
from tests.polling import CEILING
from ui.api.access import Access
from ui.api.endpoints import Api
from ui.api.session import Places
from ui.tabs.format import human_seconds, label_counts
from ui.tabs.runs.format import runs_table
from ui.tabs.train.format import progress_html


def _training_time(events: list[dict[str, Any]]) -> float:
    """The definition, from the events alone: each attempt from its 'started' to its last event before it ended."""
    spans: list[list[float]] = []
    open_ = False
    for event in events:
        if event["event"] == "started":
            spans.append([event["time"], event["time"]])
            open_ = True
        elif open_ and event["event"] != "checkpoint_skipped":
            spans[-1][1] = event["time"]
            open_ = event["event"] not in ("finished", "stopped", "failed", "interrupted", "stage_done")
    return sum(end - begin for begin, end in spans)


def _agree(api: Api, run_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    events, status = runs.read_events(run_dir), runs.read_status(run_dir)
    numbers = run_progress(run_dir)
    final = [e for e in events if e["event"] in ("stopped", "finished")][-1]
    assert numbers["step"] == final["step"] == status["global_step"]  # no off-by-one between status and events
    assert numbers["total_steps"] == final["total_steps"] == status["total_steps"]
    assert numbers["training_seconds"] == pytest.approx(_training_time(events), abs=0.11)
    assert numbers["samples_per_second"] == [e for e in events if e["event"] == "step"][-1]["samples_per_second"]

    watched = api.training.watch(run_dir.name)
    assert watched["progress"] == numbers
    line = progress_html(watched["progress"])
    assert f"step {numbers['step']} of {numbers['total_steps']}" in line
    assert f"training time {human_seconds(numbers['training_seconds'])}" in line and " left" not in line
    assert api.training.training_status(run_dir.name)["progress"] == numbers

    [listed] = api.runs.list_runs()
    assert (listed["global_step"], listed["total_steps"]) == (numbers["step"], numbers["total_steps"])
    assert listed["duration_seconds"] == numbers["training_seconds"]
    assert runs_table([listed])["duration"][0] == human_seconds(numbers["training_seconds"])

    assert main(["runs", "show", str(run_dir)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["global_step"], shown["duration_seconds"], shown["attempts"]) == (
        numbers["step"], numbers["training_seconds"], numbers["attempts"])

    rows = dict(_progress_rows(numbers))  # the report's run table
    assert rows["steps trained"] == f"{numbers['step']} of {numbers['total_steps']}"
    assert rows["training time"].startswith(clock(numbers["training_seconds"]))
    return numbers


def test_train_runs_cli_report_and_events_agree_on_a_stopped_and_resumed_run(
        tmp_path: Path, tiny_models: Any, sentiment_csv: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    root = tmp_path / "runs"
    run_dir = make_run(root, sentiment_csv, tiny_models("bert"), max_steps=24, logging_steps=4, eval_steps=100)
    api = Api(Places.at(root), Access(read_only=True))  # watches only: no scheduler thread
    runs.start_run(run_dir, extra_env=SLOW_STEPS)
    wait_event(run_dir, "step")
    runs.request_stop(run_dir)
    assert runs.wait_for(run_dir, timeout=CEILING)["state"] == "stopped", (run_dir / "train.log").read_text()
    stopped = _agree(api, run_dir, capsys)
    assert stopped["attempts"] == 1 and stopped["step"] < 24

    loading = Path(shutil.copytree(run_dir, tmp_path / "loading" / "run"))  # as a resumed child shows it while it loads
    runs.write_status(loading, "running")  # this test's own pid: alive, and no 'started' event of its own yet
    shown = progress_html(run_progress(loading))
    assert f"Resuming from step {stopped['step']}: loading the model and the checkpoint" in shown
    assert " left" not in shown and "samples/s" not in shown

    runs.resume_run(run_dir)
    assert runs.wait_for(run_dir, timeout=CEILING)["state"] == "finished", (run_dir / "train.log").read_text()
    resumed = _agree(api, run_dir, capsys)
    assert resumed["attempts"] == 2 and resumed["step"] == resumed["total_steps"] == 24
    events = runs.read_events(run_dir)
    first_started = next(e for e in events if e["event"] == "started")
    assert resumed["training_seconds"] < events[-1]["time"] - first_started["time"]  # the stop-to-resume gap is out
    log = api.training.watch(run_dir.name)["log"]  # the child may still build its index: its summary comes later
    assert "started: 24 steps" in log and "started: 24 steps, resumed at step" in log and "step 24/24" in log
    assert not any(noise in log for noise in ("\x1b", "\r", "it/s", "Warning", "[transformers]"))


def test_prediction_counts_read_as_a_sentence() -> None:
    counts = {"tech": 60, "sport": 80, "<b>NUM</b>": 5, **{f"label {n}": 1 for n in range(8)}}
    text = label_counts(counts)
    assert text.startswith("sport 80, tech 60, &lt;b&gt;NUM&lt;/b&gt; 5, label 0 1") and text.endswith("… (+3)")
    assert "{" not in text and "'" not in text
    assert label_counts({"a": 1200}) == "a 1,200"
