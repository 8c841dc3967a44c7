"""The training child's command line and environment: ``python -m core ARGS``, through torchrun for a run on several
devices, with the libraries quieted and the CPU threads shared out. Used by every launcher (``core.runs.process``, the
queue, ``core.job.parallel``, the cluster runner ``core.runs.cluster``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])  # on the child's PYTHONPATH, so ``-m core`` finds this tree

# Libraries' own progress bars and info/warning logs (weight-loading bars, load reports) would fill train.log with
# terminal noise; the child writes its own progress lines (``core.training.callback.echo``). The admin's own
# environment wins (TRANSFORMERS_VERBOSITY=info brings the libraries' logs back).
QUIET_CHILD = {"TRANSFORMERS_VERBOSITY": "error", "DATASETS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
               "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
               "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}


def core_command(arguments: list[str], processes: int = 1) -> list[str]:
    """``python -m core ARGUMENTS``; with several ``processes``, the same module launched through torchrun on this
    machine (``--standalone``: its own rendezvous on a free port), one process per device."""
    if processes <= 1:
        return [sys.executable, "-m", "core", *arguments]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
            "-m", "core", *arguments]


def parallel_env(processes: int, env: dict[str, str]) -> dict[str, str]:
    """CPU threads for each of several processes: the cores shared out (torchrun would give each one), unless the
    admin's environment says otherwise."""
    if processes <= 1 or env.get("OMP_NUM_THREADS"):
        return env
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return {**env, "OMP_NUM_THREADS": str(max(1, cores // processes))}


def child_environment(processes: int = 1, extra: dict[str, str] | None = None, inherit: bool = True) -> dict[str, str]:
    """The training child's environment: the libraries quieted (:data:`QUIET_CHILD`, under the inherited environment,
    so the admin's wins), ``extra`` over it, unbuffered output and this project first on ``PYTHONPATH``; for a local
    child (``inherit``) this process's environment is the base and the cores are shared out among ``processes``
    (:func:`parallel_env`). A cluster job (``inherit=False``) gets only these, to run on a machine of its own."""
    env = {**QUIET_CHILD, **(os.environ if inherit else {}), "PYTHONUNBUFFERED": "1", **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PROJECT_ROOT, env.get("PYTHONPATH")]))
    return parallel_env(processes, env) if inherit else env
