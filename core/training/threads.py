"""How many CPU threads a training process uses: the cores other processes leave idle.

Called once by the training child (never by the app's server process, whose requests share one
thread setting chosen at start-up).
"""

from __future__ import annotations

import math
import os
import time


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def choose_cpu_threads() -> int:
    """Intra-op threads for CPU training: $TUNESCOPE_THREADS, else the cores other processes leave free.

    On a shared 2-core box with another job running, one thread trained MiniLM 1.7-8x faster than two
    (OpenMP threads stall at every barrier while a busy core runs someone else); on an idle box all
    cores are used. torchrun/accelerate set OMP_NUM_THREADS per process and that is kept.
    """
    import torch

    if os.environ.get("TUNESCOPE_THREADS"):
        threads = max(1, int(os.environ["TUNESCOPE_THREADS"]))
    elif os.environ.get("OMP_NUM_THREADS"):
        return int(torch.get_num_threads())
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        free = cores - busy_cores(cores)
        threads = cores if free >= cores - 0.5 else max(1, min(cores, math.floor(free + 0.5)))
    torch.set_num_threads(threads)
    return threads


def busy_cores(cores: int, window: float = 0.5) -> float:
    """How many cores other processes keep busy right now: /proc/stat over ``window`` seconds.

    The load average lags by a minute, so a run started just after another one finished would see
    the finished run's load and take one thread on an idle machine. Falls back to it off Linux.
    """

    def sample() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    first = sample()
    if first is None:
        return min(float(cores), os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0.0
    time.sleep(window)
    second = sample()
    total, idle = second[0] - first[0], second[1] - first[1]
    if total <= 0:
        return 0.0
    machine_cores = os.cpu_count() or cores
    return min(float(cores), (1.0 - idle / total) * machine_cores)
