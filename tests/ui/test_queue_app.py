"""The queue, probed from outside: ten quick starts through the app's API make one training process at a time.

The app runs as a subprocess (``tests.ui.test_boundary.App``) on its own device-lock folder. The test counts the
processes whose command line holds its runs folder, reads each run's place from ``/training_status`` while the
queue moves, stops a waiting run, kills the app with ``kill -9`` mid-queue and starts it again. Every wait polls
a condition under a generous ceiling (``tests.polling``): a loaded machine makes it slower, not different.
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.runs.waiting import ordinal
from tests.polling import poll_until
from tests.ui.conftest import SAMPLE
from tests.ui.test_boundary import App, models, upload  # noqa: F401  (models: the module's fixture)

pytestmark = pytest.mark.slow
SETTINGS = dict(max_steps=4, eval_steps=4, batch_size=8, max_length=32, device="cpu", precision="fp32")


def children(runs_folder: Path, training: bool = False) -> list[str]:
    """The training processes whose command line holds ``runs_folder`` ('pid run-id'); with ``training``, only
    those whose run is still active (a finished run's process may go on a moment building its similar-examples
    index, after it let go of the device)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if entry.name.isdigit() and words[1:4] == ["-m", "core", "train"] and "--run-dir" in words:
            run = Path(words[words.index("--run-dir") + 1])
            if run.parent == runs_folder and (not training or runs.read_status(run)["state"] in runs.ACTIVE_STATES):
                found.append(f"{entry.name} {run.name}")
    return found


def statuses(client: Any, started: list[str]) -> dict[str, dict[str, Any]]:
    return {run: client.predict(run, api_name="/training_status")["status"] for run in started}


def stable_look(client: Any, started: list[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The runs' statuses read while no run left the queue: the runs are read one after another and the queue only
    ever shrinks, so two looks that agree on every waiting run and its place saw one queue."""

    def places(seen: dict[str, dict[str, Any]]) -> list[tuple[str, int]]:
        return [(run, seen[run]["queue"]["place"]) for run in started if seen[run].get("waiting")]

    def look() -> tuple[dict[str, dict[str, Any]], list[str]] | None:
        before, now = statuses(client, started), statuses(client, started)
        return (now, [run for run, _ in places(now)]) if places(before) == places(now) else None

    return poll_until(look, "the queue never held still for two looks", step=0)


def check_queue(client: Any, started: list[str], runs_folder: Path, seen: dict[str, Any]) -> dict[str, dict]:
    """One look at the queue: at most one child, the waiting runs in start order with places 1..n, each sentence."""
    assert len(children(runs_folder, training=True)) <= 1, children(runs_folder)
    now, waiting = stable_look(client, started)
    assert waiting == started[len(started) - len(waiting):], waiting  # first in, first out
    places = [now[run]["queue"]["place"] for run in waiting]
    assert places == list(range(1, len(waiting) + 1)), places
    for run in waiting:
        place, message = now[run]["queue"]["place"], now[run]["message"]
        assert message.startswith(f"Queued, {'next' if place == 1 else ordinal(place)} in line for cpu: "), message
        assert any(part in message for part in ("waiting for run '", "the device is free", "queued run")), message
        seen.setdefault("sentences", []).append(message)
    seen.setdefault("waiting", []).append(len(waiting))
    return now


def test_ten_quick_starts_queue_one_child_at_a_time_through_a_stop_and_an_app_restart(
        tmp_path: Path, models: Path) -> None:  # noqa: F811
    runs_folder = tmp_path / "runs"
    runs_folder.mkdir()
    env = {"TUNESCOPE_THREADS": "1", "TUNESCOPE_STEP_DELAY": "0.3", "TUNESCOPE_LOCKS": str(tmp_path / "locks")}
    server = App(runs_folder, "--models", str(models), "--devices", "cpu", "--max-runs-per-account", "20", env=env)
    try:
        client = server.client()
        started = []
        for i in range(10):  # one data file each, so the run ids differ whatever the clock says
            data = shutil.copy(SAMPLE, tmp_path / f"queue{i}.csv")
            started.append(client.predict(upload(client, Path(data)), base_model=f"folder:{models / 'tiny'}",
                                          settings=SETTINGS, api_name="/start_training")["run_id"])
        seen: dict[str, Any] = {}
        now = check_queue(client, started, runs_folder, seen)
        assert sum(1 for run in started if now[run].get("waiting")) >= 8  # the first one or two may have begun
        stopped = started[-1]
        assert client.predict(stopped, api_name="/stop_training")["state"] == "stopped"  # at once, no process
        seen["stopped"] = stopped
        assert not runs.RunPaths(runs_folder / stopped).launch.exists()
        poll_until(lambda: check_queue(client, started[:-1], runs_folder, seen)[started[0]]["state"] == "finished",
                   "the first run did not finish")
        server.stop(signal.SIGKILL)  # mid-queue: the queue is files, so nothing is lost or failed
        after = [runs.read_status(runs_folder / run) for run in started[:-1]]
        assert not [s for s in after if s["state"] in ("failed", "interrupted")], after
        assert sum(1 for s in after if s.get("waiting")) >= 5
        server = App(runs_folder, "--models", str(models), "--devices", "cpu", "--max-runs-per-account", "20", env=env)
        client = server.client()
        poll_until(lambda: all(s["state"] == "finished" for s in
                               check_queue(client, started[:-1], runs_folder, seen).values()),
                   "the queue did not drain")
    finally:
        server.stop()
    assert runs.read_status(runs_folder / stopped)["state"] == "stopped"
    launched = [json.loads((runs_folder / run / "launch.json").read_text())["launched"] for run in started[:-1]]
    assert launched == sorted(launched)  # first in, first started
    assert max(seen["waiting"]) >= 8 and min(seen["waiting"]) == 0
    poll_until(lambda: not children(runs_folder), "a training process outlived its run")
