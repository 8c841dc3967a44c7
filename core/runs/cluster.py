"""Where training processes run: on this machine (the runner ``local``, the default) or on a Ray cluster (``ray``).

The admin chooses (``python app.py --runner ray --ray-address http://HEAD:8265``, else ``$TUNESCOPE_RUNNER`` and
Ray's own ``$RAY_ADDRESS``). With ``ray`` the app's queue hands every waiting run to Ray Jobs at once
(:func:`submit`): the entrypoint is the same training command (``python -m core train --run-dir RUN``, through
torchrun for a run on several devices), asking Ray for the run's devices (``entrypoint_num_gpus`` for cuda,
else ``entrypoint_num_cpus``), so Ray's scheduler — not TuneScope's device locks — decides when and on which
node it starts. The run folder must be on storage the app and the nodes both see (the same path), and the nodes
need the same Python environment (the app's interpreter path). From its first line the job's process owns
``status.json`` as a local child does; the app polls the folder as today. ``launch.json`` records the job, so a
status read asks Ray (at most every few seconds per job) whether a job that has not spoken yet, or went silent,
still lives, and a stop of a job that has not started asks Ray to cancel it. Ray may still start a job it was
asked to cancel while it waited for resources; such a job sees the ``STOP`` file, or, when the run was started
again since, that ``launch.json`` names another job (:func:`superseded`), and ends without touching the folder.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError, RunError
from core.runs.folder import RunPaths, load_config, now, read_json, write_json
from core.runs.lock import HELD_BY_LAUNCHER
from core.runs.process import QUIET_CHILD, core_command

RUNNERS = ("local", "ray")
RUNNER = "TUNESCOPE_RUNNER"
JOB = "TUNESCOPE_JOB"  # the job's id, in its own environment: a job the run no longer names does nothing
RAY_PIP = "pip install 'tunescope[cluster]' (Ray's job client, ray[default])"
ENDED = ("SUCCEEDED", "FAILED", "STOPPED")
CHECK_EVERY = 5.0  # seconds between two questions to Ray about the same job
_JOBS: dict[str, tuple[float, str | None]] = {}
_GUARD = threading.Lock()


def app_runner() -> str:
    """The runner of this app or command: ``$TUNESCOPE_RUNNER`` ('local' when unset); a ConfigError for another."""
    name = (os.environ.get(RUNNER) or "local").strip().lower()
    if name not in RUNNERS:
        raise ConfigError(f"runner '{name}' is not a TuneScope runner: choose {' or '.join(RUNNERS)}.")
    return name


def on_cluster() -> bool:
    return app_runner() != "local"


def client(address: str | None = None) -> Any:
    """Ray's job client for ``address`` (else ``$RAY_ADDRESS``); one sentence when Ray is absent or unreachable."""
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise ConfigError(f"The ray runner needs Ray's job client: {RAY_PIP}.") from exc
    address = address or os.environ.get("RAY_ADDRESS")
    if not address:
        raise ConfigError("The ray runner needs the cluster's address: --ray-address http://HEAD:8265 (or "
                          "$RAY_ADDRESS).")
    try:
        return JobSubmissionClient(address)
    except Exception as exc:  # Ray raises ConnectionError, ValueError or its own errors for a bad address
        raise RunError(f"Cannot reach the Ray cluster at {address}: start it (ray start --head) or check "
                       "--ray-address.") from exc


def resources(device: str, count: int) -> dict[str, int]:
    """What the job asks Ray for: ``count`` GPUs for a cuda run, else ``count`` CPUs (one per process)."""
    return {"entrypoint_num_gpus": count} if device == "cuda" else {"entrypoint_num_cpus": count}


def entrypoint(run_dir: Path, resume: bool, processes: int) -> str:
    """The job's shell command: the training command with its output appended to the run's ``train.log``."""
    arguments = ["train", "--run-dir", str(run_dir), *(["--resume"] if resume else [])]
    log = shlex.quote(str(RunPaths(run_dir).log))
    return f"{shlex.join(core_command(arguments, processes))} >> {log} 2>&1"


def submit(run_dir: Path, resume: bool = False, extra_env: dict[str, str] | None = None,
           owner: str | None = None, address: str | None = None) -> str:
    """Hand the run to Ray Jobs; records the job in ``launch.json`` and returns its id."""
    run_dir = Path(run_dir).resolve()
    train = load_config(run_dir).train
    jobs = client(address)
    project_root = str(Path(__file__).resolve().parents[2])
    name = f"tunescope-{run_dir.name}-{int(time.time() * 1000)}"
    env = {**QUIET_CHILD, **(extra_env or {}), "TUNESCOPE_CHILD": "1", "PYTHONUNBUFFERED": "1",
           HELD_BY_LAUNCHER: "ray", "PYTHONPATH": project_root, JOB: name}
    job = jobs.submit_job(entrypoint=entrypoint(run_dir, resume, train.gpus), submission_id=name,
                          runtime_env={"env_vars": env}, metadata={"run": run_dir.name, "owner": owner or ""},
                          **resources(train.device, train.gpus))
    write_json(RunPaths(run_dir).launch, {"runner": "ray", "job_id": job, "address": jobs.get_address(),
                                          "launched": time.time(), "launched_at": now(), "owner": owner,
                                          "processes": train.gpus, "python": sys.executable})
    return job


def superseded(run_dir: Path) -> bool:
    """Whether this process is a cluster job the run no longer names (a stop cancelled it while it waited, and the
    run was started again since): it must leave the folder alone."""
    job = os.environ.get(JOB)
    if not job:
        return False
    launch = read_json(RunPaths(Path(run_dir)).launch) or {}
    return launch.get("job_id") != job


def job_state(launch: dict[str, Any]) -> str | None:
    """Ray's state of the job in ``launch`` ('PENDING', 'RUNNING', 'SUCCEEDED', ...), asked at most every
    :data:`CHECK_EVERY` seconds; None when Ray cannot be asked now (the run then reads as it last did)."""
    job, address = launch.get("job_id"), launch.get("address")
    if not isinstance(job, str) or not isinstance(address, str):
        return None
    with _GUARD:
        asked, state = _JOBS.get(job, (0.0, None))
    if time.monotonic() - asked < CHECK_EVERY:
        return state
    try:
        state = str(client(address).get_job_status(job).value)
    except Exception:  # unreachable, or Ray forgot the job: no answer rather than a wrong one
        state = None
    with _GUARD:
        _JOBS[job] = (time.monotonic(), state)
    return state


def job_lives(launch: dict[str, Any]) -> bool:
    """Whether the job may still run (pending, running, or Ray cannot say)."""
    return job_state(launch) not in ENDED


def cancel(launch: dict[str, Any]) -> bool:
    """Stop the job in Ray (a run it has not started yet); True when Ray took the request."""
    try:
        return bool(client(launch["address"]).stop_job(launch["job_id"]))
    except Exception:
        return False
