"""Which runner starts training processes, and what a Ray cluster says of a job: read by the run's status (is a job
that has not spoken yet, or went silent, still alive?), by a stop (cancel a job not started) and by the training
process itself (is it still the job its run names?). The submitting side is ``core.runs.cluster``."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError, RunError
from core.runs.folder import RunPaths, read_json

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
