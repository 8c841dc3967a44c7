"""One writer per fact: the launcher writes launch.json, the child status.json, a stop request only STOP.

No training process is started here: a run is 'running' under this test process's own pid (alive),
and a finished child process gives a pid that is certainly dead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.runs import process
from core.runs.lock import device_lock, lock_dir
from tests.core.runs.test_runs import make_run


@pytest.fixture
def run_dir(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> Path:
    return make_run(tmp_path, sentiment_csv, tiny_models("bert"))


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not runs.status.alive(child.pid)
    return child.pid


def on_disk(run_dir: Path) -> dict[str, Any]:
    return runs.read_json(runs.RunPaths(run_dir).status)


def set_status_pid(run_dir: Path, pid: int) -> None:
    status = on_disk(run_dir)
    status["pid"] = pid
    runs.write_json(runs.RunPaths(run_dir).status, status)


def write_launch(run_dir: Path, pid: int, after_status: bool = True) -> None:
    updated = on_disk(run_dir)["updated"]
    runs.write_json(runs.RunPaths(run_dir).launch,
                    {"pid": pid, "launched": updated + (1 if after_status else -1), "command": "test"})


# --- stop requests -------------------------------------------------------------------------------


def test_stop_request_on_a_finished_run_changes_nothing(run_dir: Path) -> None:
    runs.write_status(run_dir, "finished", global_step=30)
    before = runs.RunPaths(run_dir).status.read_bytes()
    assert runs.request_stop(run_dir)["state"] == "finished"
    assert not runs.RunPaths(run_dir).stop_flag.exists()
    assert runs.RunPaths(run_dir).status.read_bytes() == before
    assert runs.read_status(run_dir)["state"] == "finished"


def test_stop_file_on_an_active_run_reads_as_stopping_while_status_json_says_running(run_dir: Path) -> None:
    runs.write_status(run_dir, "running")  # this process plays the (alive) training child
    assert runs.read_status(run_dir)["state"] == "running"
    before = runs.RunPaths(run_dir).status.read_bytes()
    shown = runs.request_stop(run_dir)
    assert shown["state"] == "stopping" and "Stopping" in shown["message"]
    assert runs.RunPaths(run_dir).stop_flag.exists()
    assert runs.RunPaths(run_dir).status.read_bytes() == before  # the request did not write status.json
    assert on_disk(run_dir)["state"] == "running"
    assert runs.read_status(run_dir)["state"] == "stopping"


def test_stop_file_does_not_hide_a_final_state(run_dir: Path) -> None:
    runs.write_status(run_dir, "running")
    runs.request_stop(run_dir)
    runs.write_status(run_dir, "stopped")  # the child saw STOP, saved its model and ended
    assert runs.read_status(run_dir)["state"] == "stopped"
    assert runs.request_stop(run_dir)["state"] == "stopped"


# --- launch.json against status.json ---------------------------------------------------------------


def test_launched_child_that_died_before_speaking_reads_failed(run_dir: Path, dead_pid: int) -> None:
    write_launch(run_dir, dead_pid)
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and "train.log" in status["message"]
    assert on_disk(run_dir)["state"] == "created"  # only read, never written


def test_launched_child_that_is_alive_but_silent_reads_queued(run_dir: Path) -> None:
    write_launch(run_dir, os.getpid())
    status = runs.read_status(run_dir)
    assert status["state"] == "queued" and status["pid"] == os.getpid()


def test_status_newer_than_launch_wins(run_dir: Path, dead_pid: int) -> None:
    runs.write_status(run_dir, "running")
    write_launch(run_dir, dead_pid, after_status=False)  # an old launch whose process is gone
    assert runs.read_status(run_dir)["state"] == "running"


def test_active_status_whose_process_is_gone_reads_interrupted(run_dir: Path, dead_pid: int) -> None:
    runs.write_status(run_dir, "running")
    set_status_pid(run_dir, dead_pid)
    status = runs.read_status(run_dir)
    assert status["state"] == "interrupted" and "resume" in status["message"]
    assert on_disk(run_dir)["state"] == "running"


# --- the launcher ------------------------------------------------------------------------------------


class FakePopen:
    """Stands in for the training child: 'started' with this (alive) process's pid, exits at once."""

    started: list[list[str]] = []

    def __init__(self, command: list[str], **kwargs: Any) -> None:
        self.pid = os.getpid()
        FakePopen.started.append(list(command))

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.mark.parametrize("resume", [False, True])
def test_start_run_writes_launch_json_and_leaves_status_json_alone(run_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   resume: bool) -> None:
    monkeypatch.setattr(process.subprocess, "Popen", FakePopen)
    FakePopen.started.clear()
    paths = runs.RunPaths(run_dir)
    paths.stop_flag.write_text("old request")
    before = paths.status.read_bytes()
    assert runs.start_run(run_dir, resume=resume) == os.getpid()
    assert paths.status.read_bytes() == before
    launch = runs.read_json(paths.launch)
    assert launch["pid"] == os.getpid() and str(run_dir.resolve()) in launch["command"]
    assert FakePopen.started[0][-3 if resume else -2:] == (
        ["--run-dir", str(run_dir.resolve())] + (["--resume"] if resume else []))
    assert not paths.stop_flag.exists()  # an old stop request does not stop the new child
    assert runs.read_status(run_dir)["state"] == "queued"
    with pytest.raises(runs.RunError, match="already queued"):
        runs.start_run(run_dir)  # an active run is not started twice


# --- one training run per device, wherever its folder is -----------------------------------------


def _cpu_config() -> RunConfig:
    return RunConfig(data=DataSettings(train_file="x.csv"), train=TrainSettings(device="cpu"))


def test_lock_dir_honours_tunescope_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "my-locks"))
    assert lock_dir() == tmp_path / "my-locks"
    monkeypatch.delenv("TUNESCOPE_LOCKS")
    monkeypatch.setenv("TUNESCOPE_CACHE", str(tmp_path / "cache"))
    assert lock_dir() == tmp_path / "cache" / "locks"


def test_runs_in_different_folders_share_one_device_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tiny_models: Any, sentiment_csv: Path) -> None:
    locks = tmp_path / "locks"
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(locks))
    first = make_run(tmp_path / "here", sentiment_csv, tiny_models("bert"))
    second = make_run(tmp_path / "elsewhere" / "deeper", sentiment_csv, tiny_models("bert"))
    stop_checks: list[Path] = []

    def stop_at_once(run: Path) -> bool:
        stop_checks.append(run)
        return True

    with device_lock(first, _cpu_config(), main=True, stop_requested=stop_at_once):
        assert [p.name for p in locks.iterdir()] == ["cpu.lock"]
        with pytest.raises(runs.RunError, match="queued"), \
                device_lock(second, _cpu_config(), main=True, stop_requested=stop_at_once):
            pytest.fail("the second run got the device while the first held it")
        assert on_disk(second)["state"] == "queued" and "cpu" in on_disk(second)["message"]
    assert stop_checks == [second]
    with device_lock(second, _cpu_config(), main=True, stop_requested=stop_at_once):
        pass  # free again once the first run let go
    assert stop_checks == [second]
    assert not list(first.parent.glob("*.lock")) and not list(second.parent.glob("*.lock"))


def test_a_damaged_status_file_is_one_sentence_naming_the_damage(tmp_path: Path) -> None:
    from core.runs import read_status

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}", encoding="utf-8")
    for damage in (b"\xff\xfe garbage", b'{"state": "runn', b"[1, 2]"):
        (run / "status.json").write_bytes(damage)
        with pytest.raises(runs.RunError, match=r"no status.json that can be read \(status.json "):
            read_status(run)
    (run / "status.json").write_text('{"state": "finished", "updated": 5}', encoding="utf-8")
    (run / "launch.json").write_text('{"launched": "soon", "pid": 1}', encoding="utf-8")
    assert read_status(run)["state"] == "finished"
