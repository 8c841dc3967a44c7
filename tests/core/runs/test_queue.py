"""The queue of a runs folder: queued runs are files, not processes; the scheduler starts one child per free device.

Most tests replace the training child by a stand-in that keeps the device lock it was handed (a duplicate of the
locked file) until the test 'finishes' it, so order, places and device choice are checked without timing. One
test starts real children on two CPU slots.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.errors import ConfigError
from core.runs import lock, scheduler, slots
from core.runs.queue import queue_run, waiting_runs
from core.runs.waiting import queue_info, queue_sentence
from tests.core.runs.test_runs import make_run


class FakeChildren:
    """Stands in for ``spawn_child``: records each start and keeps its device lock until :meth:`finish`."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []
        self.held: dict[str, list[int]] = {}

    def __call__(self, arguments: list[str], log_path: Path, launch_path: Path, extra_env: dict[str, str],
                 pass_fds: tuple[int, ...] = (), record: dict[str, Any] | None = None, processes: int = 1) -> int:
        run = Path(arguments[arguments.index("--run-dir") + 1])
        self.held[run.name] = [os.dup(fd) for fd in pass_fds]  # the child's copies of the locked files
        runs.write_json(launch_path, {"pid": os.getpid(), "launched": time.time(), **(record or {})})
        self.started.append({"run": run.name, "env": dict(extra_env), "resume": "--resume" in arguments,
                             "processes": processes})
        return os.getpid()

    def finish(self, run_dir: Path) -> None:
        runs.write_status(run_dir, "finished")
        for fd in self.held.pop(run_dir.name):
            lock.release(fd)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeChildren:
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    fake = FakeChildren()
    monkeypatch.setattr(scheduler, "spawn_child", fake)
    return fake


@pytest.fixture
def queue_of(tmp_path: Path, tiny_models: Any, sentiment_csv: Path):
    """``queue_of(n)``: n created runs in one runs folder (copies of one run), queued in order."""

    def make(count: int, **entry: Any) -> list[Path]:
        first = make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"))
        root = tmp_path / "runs"
        root.mkdir(exist_ok=True)
        folders = [Path(shutil.copytree(first, root / f"run-{i:02d}")) for i in range(count)]
        for folder in folders:
            queue_run(folder, **entry)
        return folders

    return make


def places(root: Path) -> dict[str, int]:
    return {folder.name: queue_info(folder, ("cpu",))["place"] for folder, _ in waiting_runs(root)}


def test_a_queued_run_is_state_in_its_folder_with_no_process(queue_of: Any, children: FakeChildren) -> None:
    [run] = queue_of(1, owner="alice")
    status = runs.read_status(run)
    assert status["state"] == "queued" and status["waiting"] and status["pid"] is None and status["device"] == "auto"
    assert runs.read_json(runs.RunPaths(run).status)["state"] == "created"  # the queue wrote only queue.json
    assert runs.read_json(runs.RunPaths(run).queue)["owner"] == "alice"
    assert not children.started and not runs.RunPaths(run).launch.exists()
    with pytest.raises(runs.RunError, match="already queued"):
        queue_run(run)
    with pytest.raises(runs.RunError, match="is queued: stop it first"):
        runs.remove_run(run, run.parent)


def test_ten_starts_one_child_per_device_places_shrink_and_runs_start_in_order(
        queue_of: Any, children: FakeChildren) -> None:
    folders = queue_of(10)
    root = folders[0].parent
    for done in range(10):
        assert scheduler.tick(root, ("cpu",)) == [folders[done].name]
        assert scheduler.tick(root, ("cpu",)) == []  # the device is held: nothing else starts
        assert len(children.held) == 1
        assert places(root) == {f.name: i + 1 for i, f in enumerate(folders[done + 1:])}
        assert runs.read_status(folders[done])["state"] == "queued"  # started, the child not spoken yet
        holder = lock.read_holder("cpu")
        assert holder["run_id"] == folders[done].name and holder["pid"] == os.getpid()
        children.finish(folders[done])
    assert [start["run"] for start in children.started] == [f.name for f in folders]
    assert not waiting_runs(root) and not list(root.glob("*/queue.json"))


def test_stop_of_a_waiting_run_takes_it_out_of_the_queue_at_once(queue_of: Any, children: FakeChildren) -> None:
    first, second, third = queue_of(3)
    scheduler.tick(first.parent, ("cpu",))
    status = runs.request_stop(second)
    assert status["state"] == "stopped" and "never started" in status["message"]
    assert not runs.RunPaths(second).stop_flag.exists() and not runs.RunPaths(second).queue.exists()
    assert runs.read_events(second)[-1]["event"] == "stopped"
    assert places(first.parent) == {third.name: 1}
    children.finish(first)
    assert scheduler.tick(first.parent, ("cpu",)) == [third.name]
    runs.remove_run(second, second.parent)  # no process ever existed: it can go at once
    queue_run(first)  # a queued run can come back (a resume goes through the queue too)
    assert places(first.parent) == {first.name: 1}


def test_a_new_scheduler_picks_the_queue_up_and_resume_goes_through_it(queue_of: Any, children: FakeChildren) -> None:
    folders = queue_of(2, resume=True, extra_env={"TUNESCOPE_STEP_DELAY": "0.1"})
    # nothing ticks (the app died): its runs stay queued, never failed
    assert [runs.read_status(f)["state"] for f in folders] == ["queued", "queued"]
    assert scheduler.tick(folders[0].parent, ("cpu",)) == [folders[0].name]  # the next app on the folder
    started = children.started[0]
    assert started["resume"] and started["env"]["TUNESCOPE_STEP_DELAY"] == "0.1"
    assert started["env"]["TUNESCOPE_DEVICE_SLOT"] == "cpu" and started["env"]["CUDA_VISIBLE_DEVICES"] == ""


def test_two_devices_take_two_runs_at_once(queue_of: Any, children: FakeChildren) -> None:
    folders = queue_of(3)
    root = folders[0].parent
    two = ("cpu:0", "cpu:1")
    assert scheduler.tick(root, two) == [folders[0].name, folders[1].name]
    assert [c["env"]["TUNESCOPE_DEVICE_SLOT"] for c in children.started] == ["cpu:0", "cpu:1"]
    assert {lock.read_holder("cpu-0")["run_id"], lock.read_holder("cpu-1")["run_id"]} == {f.name for f in folders[:2]}
    assert [runs.read_json(runs.RunPaths(f).launch)["slot"] for f in folders[:2]] == ["cpu:0", "cpu:1"]
    info = queue_info(folders[2], two)
    assert info["place"] == 1 and info["slots"] == ["cpu:0", "cpu:1"]
    children.finish(folders[1])
    assert scheduler.tick(root, two) == [folders[2].name]
    assert children.started[-1]["env"]["TUNESCOPE_DEVICE_SLOT"] == "cpu:1"


def test_each_gpu_run_sees_only_its_gpu(queue_of: Any, children: FakeChildren, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slots, "cuda_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    devices = slots.parse_devices("auto")
    assert devices == ("cuda:0", "cuda:1", "cpu") and slots.parse_devices("cuda") == ("cuda:0", "cuda:1")
    folders = queue_of(2)
    assert scheduler.tick(folders[0].parent, devices) == [f.name for f in folders]
    assert [c["env"]["CUDA_VISIBLE_DEVICES"] for c in children.started] == ["0", "1"]
    assert [c["env"]["TUNESCOPE_DEVICE_LOCK"] for c in children.started] == ["cuda-0", "cuda-1"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")  # the app itself sees two of four GPUs
    assert slots.child_env("cuda:1") == {"CUDA_VISIBLE_DEVICES": "3"} and slots.lock_name("cuda:1") == "cuda-3"
    with pytest.raises(runs.RunError, match="trains on cuda:0, cuda:1 only: choose the device 'auto' or 'cuda'"):
        slots.check_device("cpu", ("cuda:0", "cuda:1"))


def test_the_devices_flag_is_checked_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slots, "cuda_count", lambda: 0)
    monkeypatch.setattr(slots, "mps_available", lambda: False)
    assert slots.parse_devices(None) == ("cpu",) and slots.parse_devices(" cpu:0, cpu:1,cpu:0 ") == ("cpu:0", "cpu:1")
    for bad, says in (("gpu", "is not a device"), ("cuda:0", "no CUDA device"), ("cpu:x", "is not a device"),
                      (",", "is empty"), ("mps", "not available")):
        with pytest.raises(ConfigError, match=says):
            slots.parse_devices(bad)


def write_step(run_dir: Path, step: int, total: int, eta: float) -> None:
    event = {"event": "step", "step": step, "total_steps": total, "eta_seconds": eta, "elapsed": 60.0,
             "time": time.time()}
    with open(runs.RunPaths(run_dir).events, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")


def test_the_sentence_names_place_run_ahead_progress_and_estimated_start(queue_of: Any, children: FakeChildren) -> None:
    first, second, third = queue_of(3, owner="alice")
    runs.rename_run(first, "night run")
    scheduler.tick(first.parent, ("cpu",))
    write_step(first, 120, 400, eta=180.0)  # 180 s left, so 0.64 s a step; the run between plans 30 steps
    expected = ("Queued, 2nd in line for cpu: waiting for run 'night run' (alice, step 120/400, about 3 min left) "
                "and 1 queued run before it; estimated start in about 3 min.")
    assert queue_sentence(queue_info(third, ("cpu",))) == expected  # no accounts: the owner is shown
    assert queue_sentence(queue_info(third, ("cpu",), viewer="alice")) == expected
    assert queue_sentence(queue_info(third, ("cpu",), viewer="root", viewer_is_admin=True)) == expected
    assert queue_sentence(queue_info(third, ("cpu",), viewer="bob")) == expected.replace("alice, ", "")
    info = queue_info(second, ("cpu",))
    assert info["place"] == 1 and 170 < info["start_in"] <= 180 and info["ahead"]["step"] == 120
    assert queue_sentence(info).startswith("Queued, next in line for cpu: waiting for run 'night run'")
    children.finish(first)
    assert queue_sentence(queue_info(second, ("cpu",))) == (
        "Queued, next in line for cpu: the device is free, so it starts within seconds.")
    entry = runs.read_json(runs.RunPaths(second).queue)
    runs.write_json(runs.RunPaths(second).queue, {**entry, "device": "cpu"})  # asked for the CPU, an app on a GPU
    assert queue_sentence(queue_info(second, ("cuda:0",))) == (
        "Queued for cpu, but this app trains on cuda:0 only: stop it and start it again with the device 'auto'.")
    assert queue_info(first, ("cpu",)) is None and queue_sentence(None) == ""


def test_a_device_held_from_another_runs_folder_is_named(queue_of: Any, children: FakeChildren, tmp_path: Path,
                                                         tiny_models: Any, sentiment_csv: Path) -> None:
    elsewhere = make_run(tmp_path / "other-app", sentiment_csv, tiny_models("bert"))
    [mine] = queue_of(1)

    def stop_never(run: Path) -> bool:
        return False

    config = runs.load_config(elsewhere)
    config.train.device = "cpu"
    with lock.device_lock(elsewhere, config, main=True, stop_requested=stop_never):  # a CLI run of another folder
        assert scheduler.tick(mine.parent, ("cpu",)) == []
        sentence = queue_sentence(queue_info(mine, ("cpu",)))
        assert f"waiting for run '{elsewhere.name}' (another runs folder, starting)" in sentence
    assert lock.read_holder("cpu") is None  # let go, and no stale holder
    assert scheduler.tick(mine.parent, ("cpu",)) == [mine.name]


@pytest.mark.slow
def test_real_children_on_two_cpu_slots_take_their_lock_and_record_it(tmp_path: Path, tiny_models: Any,
                                                                       sentiment_csv: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    root = tmp_path / "runs"
    folders = [make_run(root / str(i), sentiment_csv, tiny_models("bert"), max_steps=3, eval_steps=3, device="cpu")
               for i in range(2)]
    for i, folder in enumerate(folders):
        folders[i] = folder.rename(root / f"run-{i}")
        queue_run(folders[i], extra_env={"TUNESCOPE_THREADS": "1"})
    assert scheduler.tick(root, ("cpu:0", "cpu:1")) == [f.name for f in folders]
    # the children hold the locks from their first instant: the app let go of its own copies at once
    assert lock.reserve("cpu-0") is None and lock.reserve("cpu-1") is None
    for folder in folders:
        final = runs.wait_for(folder, timeout=600, poll=0.2)
        assert final["state"] == "finished", (folder / "train.log").read_text()[-2000:]
    assert [runs.load_config(f).resolved["device_slot"] for f in folders] == ["cpu:0", "cpu:1"]
    assert lock.read_holder("cpu-0") is None and lock.read_holder("cpu-1") is None
    for name in ("cpu-0", "cpu-1"):  # let go
        fd = lock.reserve(name)
        assert fd is not None
        lock.release(fd)
