"""A run's numbers (core.runs.progress) from hand-written event logs: the definitions, attempt by attempt.

Every time here is written into the events or passed as ``now``: nothing depends on the clock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import runs
from core.runs.progress import clock, run_progress


def _write(run_dir: Path, *events: dict[str, Any], append: bool = False) -> None:
    with open(run_dir / "events.jsonl", "a" if append else "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(event) + "\n" for event in events)


def _run(tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> Path:
    return copy_run(trained_runs["a"], tmp_path / "runs")


FIRST = [{"time": 100.0, "event": "started", "resumed_from_step": 0, "total_steps": 80, "pid": 11},
         {"time": 130.0, "event": "step", "step": 50, "eta_seconds": 20.0, "samples_per_second": 40.0, "total_steps": 80},
         {"time": 131.0, "event": "stopping", "step": 53},
         {"time": 133.0, "event": "checkpoint", "step": 53},
         {"time": 140.0, "event": "stopped", "step": 53, "total_steps": 80}]


def test_a_stopped_run_reads_the_step_of_its_final_event_not_of_its_last_step_line(
        tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, *FIRST)
    runs.write_status(run_dir, "stopped", global_step=53, total_steps=80)
    numbers = run_progress(run_dir)
    assert (numbers["step"], numbers["total_steps"]) == (53, 80) == (runs.read_status(run_dir)["global_step"], 80)
    assert numbers["phase"] == "ended" and numbers["remaining_seconds"] is None
    assert numbers["training_seconds"] == 40.0 and numbers["attempts"] == 1


def test_training_time_sums_the_attempts_and_leaves_out_the_time_between_them(
        tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, {"time": 50.0, "event": "failed", "message": "no device"},  # never trained: no attempt
           *FIRST,
           {"time": 150.0, "event": "failed", "message": "a resume that failed to load"},  # after the attempt ended
           {"time": 400.0, "event": "checkpoint_skipped", "message": "checkpoint-60 damaged"},  # before 'started'
           {"time": 410.0, "event": "started", "resumed_from_step": 53, "total_steps": 80, "pid": 12},
           {"time": 430.0, "event": "step", "step": 60, "eta_seconds": 30.0, "samples_per_second": 50.0},
           {"time": 470.0, "event": "finished", "step": 80, "total_steps": 80})
    runs.write_status(run_dir, "finished", global_step=80, total_steps=80)
    numbers = run_progress(run_dir)
    assert numbers["training_seconds"] == 40.0 + 60.0 and numbers["attempts"] == 2
    assert numbers["step"] == 80 and numbers["samples_per_second"] == 50.0
    assert clock(numbers["training_seconds"]) == "1:40" and clock(3725) == "1:02:05" and clock(None) == "—"


def test_a_resume_that_is_loading_says_so_and_shows_no_time_left(
        tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, *FIRST)
    runs.write_status(run_dir, "running", global_step=53, total_steps=80)  # the resumed child, alive (this test)
    numbers = run_progress(run_dir, now=1000.0)
    assert numbers["phase"] == "loading" and numbers["resuming"] and numbers["step"] == 53
    assert numbers["remaining_seconds"] is None and numbers["samples_per_second"] is None
    assert numbers["training_seconds"] == 40.0  # the loading time is not training time
    _write(run_dir, {"time": 990.0, "event": "started", "resumed_from_step": 53, "total_steps": 80,
                     "pid": os.getpid()},
           {"time": 995.0, "event": "step", "step": 55, "eta_seconds": 50.0, "samples_per_second": 30.0}, append=True)
    numbers = run_progress(run_dir, now=1000.0)
    assert numbers["phase"] == "training" and not numbers["resuming"] and numbers["step"] == 55
    assert numbers["remaining_seconds"] == 45.0  # the estimate less the time since it was written
    assert numbers["training_seconds"] == 40.0 + 10.0  # the attempt in progress counts up to now


def test_an_attempt_whose_process_died_is_not_the_one_loading_now(
        tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, *FIRST[:2])  # killed after step 50: no closing event
    runs.write_status(run_dir, "running")
    numbers = run_progress(run_dir, now=5000.0)
    assert numbers["phase"] == "loading" and numbers["training_seconds"] == 30.0
    _write(run_dir, *[{k: v for k, v in event.items() if k != "pid"} for event in FIRST[:2]])  # an old log
    (run_dir / "launch.json").write_text(json.dumps({"pid": os.getpid(), "launched": 4000.0}))
    assert run_progress(run_dir, now=5000.0)["phase"] == "loading"


def test_the_pre_training_stage_counts_its_own_steps(tmp_path: Path, copy_run: Callable[..., Path],
                                                     trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, {"time": 10.0, "event": "started", "stage": "pretrain", "resumed_from_step": 0, "total_steps": 20,
                     "pid": os.getpid()},
           {"time": 20.0, "event": "step", "stage": "pretrain", "step": 5, "eta_seconds": 30.0})
    runs.write_status(run_dir, "running")
    numbers = run_progress(run_dir, now=20.0)
    assert (numbers["phase"], numbers["stage"], numbers["step"], numbers["total_steps"]) == ("pretraining", "pretrain",
                                                                                             5, 20)
    assert numbers["remaining_seconds"] == 30.0


def test_a_log_that_is_replaced_is_read_again(tmp_path: Path, copy_run: Callable[..., Path],
                                             trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    _write(run_dir, *FIRST)
    runs.write_status(run_dir, "stopped")
    assert run_progress(run_dir)["step"] == 53
    replaced = run_dir / "events.new"
    replaced.write_text(json.dumps(FIRST[0]) + "\n" + json.dumps({**FIRST[-1], "step": 7}) + "\n")
    os.replace(replaced, run_dir / "events.jsonl")
    assert run_progress(run_dir)["step"] == 7 and run_progress(run_dir)["attempts"] == 1


def test_a_waiting_or_new_run_has_no_numbers_yet(tmp_path: Path, copy_run: Callable[..., Path],
                                                 trained_runs: dict[str, Path]) -> None:
    run_dir = _run(tmp_path, copy_run, trained_runs)
    (run_dir / "events.jsonl").unlink()
    runs.write_status(run_dir, "created")
    assert run_progress(run_dir)["phase"] == "created" and run_progress(run_dir)["training_seconds"] is None
    numbers = run_progress(run_dir, {"state": "queued", "waiting": True})
    assert numbers["phase"] == "waiting" and numbers["remaining_seconds"] is None and not numbers["resuming"]
