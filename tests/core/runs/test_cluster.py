"""The Ray runner against a real Ray head started on loopback: runs are handed to Ray Jobs by the queue (and by a
direct start), train to a stop, resume and finish in the run folder as local runs do, and a job Ray has not started
is cancelled there by a stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.errors import ConfigError
from core.runs import cluster, jobs, lock, scheduler
from core.runs.folder import read_json
from core.runs.queue import queue_run
from tests.core.runs.test_runs import make_run
from tests.polling import poll_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A Ray head of 2 CPUs on loopback, in its own process group (ended with it), its files in a temporary folder."""
    pytest.importorskip("ray.job_submission", reason="the [cluster] extra (ray[default]) is not installed")
    from ray.job_submission import JobSubmissionClient

    temp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must stay under 108 characters
    dashboard = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen(
        [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", f"--port={free_port()}",
         "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
         "--include-dashboard=true", "--num-cpus=2", "--num-gpus=0", "--object-store-memory=100000000",
         f"--temp-dir={temp}", "--disable-usage-stats"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"

    def answers() -> bool:
        assert head.poll() is None, "the Ray head exited"
        try:
            JobSubmissionClient(address).list_jobs()
            return True
        except Exception:
            return False

    try:
        poll_until(answers, "the Ray head answering", step=0.5)
        yield address
    finally:
        for sent in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sent)
                head.wait(timeout=60)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def on_ray(ray_head: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv(jobs.RUNNER, "ray")
    monkeypatch.setenv("RAY_ADDRESS", ray_head)
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    monkeypatch.setattr(jobs, "CHECK_EVERY", 0.0)
    return ray_head


def in_root(folder: Path, root: Path, name: str) -> Path:
    root.mkdir(exist_ok=True)
    return folder.rename(root / name)


def test_the_runner_is_checked_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(jobs.RUNNER, "slurm")
    with pytest.raises(ConfigError, match="runner 'slurm' is not a TuneScope runner: choose local or ray"):
        jobs.app_runner()
    monkeypatch.delenv(jobs.RUNNER)
    assert not jobs.on_cluster()
    assert cluster.resources("cuda", 2) == {"entrypoint_num_gpus": 2}
    assert cluster.resources("cpu", 1) == {"entrypoint_num_cpus": 1}
    command = cluster.entrypoint(Path("/shared/runs/a b"), True, 2)
    assert "torch.distributed.run" in command and "--resume" in command
    assert command.endswith(">> '/shared/runs/a b/train.log' 2>&1")


def handed_to_ray(root: Path, folder: Path) -> None:
    """Tick the queue until Ray takes the run (a head that just started may ask to try again later)."""
    poll_until(lambda: scheduler.tick(root, ("cpu",)) == [folder.name] or runs.read_status(folder)["state"] == "failed",
               "Ray taking the run")
    assert read_json(runs.RunPaths(folder).launch)["runner"] == "ray", runs.read_status(folder)


def test_a_busy_cluster_keeps_the_run_waiting_and_a_refusal_fails_it(tmp_path: Path, tiny_models: Any,
                                                                     sentiment_csv: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "runs"
    folder = in_root(make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"), device="cpu"), root, "run-wait")
    queue_run(folder)
    monkeypatch.setenv(jobs.RUNNER, "ray")
    answers = [RuntimeError("Request failed with status code 500: No available agent to submit job, please try "
                            "again later.."), ConnectionRefusedError("refused"), ValueError("no such resource")]

    def submit(*args: Any, **kwargs: Any) -> str:
        raise answers.pop(0)

    monkeypatch.setattr(scheduler, "submit", submit)
    assert scheduler.tick(root, ("cpu",)) == [] and runs.read_status(folder)["state"] == "queued"
    assert scheduler.tick(root, ("cpu",)) == [] and runs.read_status(folder)["state"] == "queued"
    assert scheduler.tick(root, ("cpu",)) == []
    failed = runs.read_status(folder)
    assert failed["state"] == "failed" and failed["message"] == "The cluster did not take the run: no such resource"


@pytest.mark.slow
def test_a_run_trains_through_ray_stops_resumes_and_finishes(on_ray: str, tmp_path: Path, tiny_models: Any,
                                                             sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    folder = in_root(make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"), max_steps=300, eval_steps=60,
                              device="cpu", learning_rate=1e-5), root, "run-ray")
    queue_run(folder)
    handed_to_ray(root, folder)  # no local device lock taken
    launch = read_json(runs.RunPaths(folder).launch)
    assert launch["runner"] == "ray" and launch["job_id"].startswith("tunescope-run-ray-")
    assert runs.read_status(folder)["state"] in ("queued", "running")
    poll_until(lambda: any(e["event"] == "checkpoint" for e in runs.read_events(folder))
               or runs.read_status(folder)["state"] in runs.FINAL_STATES, "a first checkpoint")
    assert lock.read_holder("cpu") is None
    runs.request_stop(folder)
    stopped = runs.wait_for(folder, timeout=600, poll=0.2)
    assert stopped["state"] == "stopped", (folder / "train.log").read_text()[-3000:]
    runs.resume_run(folder)  # a direct start (as a sweep trial's) goes to Ray too
    assert read_json(runs.RunPaths(folder).launch)["job_id"] != launch["job_id"]
    final = runs.wait_for(folder, timeout=600, poll=0.2)
    assert final["state"] == "finished", (folder / "train.log").read_text()[-3000:]
    steps = [event["step"] for event in runs.read_events(folder) if event["event"] == "step"]
    assert steps == sorted(set(steps)) and steps[-1] == 300
    assert (folder / "model" / "config.json").exists()
    poll_until(lambda: jobs.job_state(read_json(runs.RunPaths(folder).launch)) == "SUCCEEDED", "the job ended")


@pytest.mark.slow
def test_a_stop_cancels_a_job_ray_has_not_started(on_ray: str, tmp_path: Path, tiny_models: Any,
                                                  sentiment_csv: Path) -> None:
    root = tmp_path / "runs"
    folder = in_root(make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"), device="cuda"), root, "run-gpu")
    queue_run(folder)
    handed_to_ray(root, folder)  # the cluster has no GPU: the job waits in Ray
    status = runs.read_status(folder)
    assert status["state"] == "queued" and status["message"].startswith("Submitted to the Ray cluster")
    assert runs.request_stop(folder)["state"] == "stopped"  # Ray took the cancel (it may keep it pending a while)
    assert runs.read_status(folder)["message"] == "Stopped before the cluster started it."


def test_a_job_the_run_no_longer_names_leaves_the_folder_alone(tmp_path: Path, tiny_models: Any,
                                                               sentiment_csv: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    runs.write_json(runs.RunPaths(folder).launch, {"runner": "ray", "job_id": "tunescope-new", "launched": 1.0})
    before = (folder / "status.json").read_bytes()
    monkeypatch.setenv(jobs.JOB, "tunescope-old")  # cancelled while pending, then started by Ray anyway
    from core import job

    assert job.run_training(folder)["state"] == "superseded"
    assert (folder / "status.json").read_bytes() == before and not (folder / "model").exists()
