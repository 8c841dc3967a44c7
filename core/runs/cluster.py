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

import shlex
import sys
import time
from pathlib import Path

from core.runs.command import child_environment, core_command
from core.runs.folder import RunPaths, load_config, now, write_json
from core.runs.jobs import JOB, client
from core.runs.lock import HELD_BY_LAUNCHER


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
    name = f"tunescope-{run_dir.name}-{int(time.time() * 1000)}"
    env = child_environment(train.gpus, {**(extra_env or {}), "TUNESCOPE_CHILD": "1", HELD_BY_LAUNCHER: "ray",
                                         JOB: name}, inherit=False)
    job = jobs.submit_job(entrypoint=entrypoint(run_dir, resume, train.gpus), submission_id=name,
                          runtime_env={"env_vars": env}, metadata={"run": run_dir.name, "owner": owner or ""},
                          **resources(train.device, train.gpus))
    write_json(RunPaths(run_dir).launch, {"runner": "ray", "job_id": job, "address": jobs.get_address(),
                                          "launched": time.time(), "launched_at": now(), "owner": owner,
                                          "processes": train.gpus, "python": sys.executable})
    return job


