"""One training run per device at a time, across every runs folder: a file lock per device.

The lock lives in one place per user ($TUNESCOPE_LOCKS, else the TuneScope cache folder), not next to
the run folder, so a run written with ``--output`` somewhere else still queues behind the others.
While it waits, the run shows 'queued' and a stop request ends it at once.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from core.config import RunConfig
from core.devices import pick_device
from core.errors import RunError
from core.runs.status import write_status


def lock_dir() -> Path:
    """Where the per-device lock files are: $TUNESCOPE_LOCKS, else <TuneScope cache>/locks."""
    base = os.environ.get("TUNESCOPE_LOCKS")
    if base:
        return Path(base)
    return Path(os.environ.get("TUNESCOPE_CACHE") or Path.home() / ".cache" / "tunescope") / "locks"


@contextlib.contextmanager
def device_lock(run_dir: Path, config: RunConfig, main: bool,
                stop_requested: Callable[[Path], bool]) -> Iterator[None]:
    """Hold this device's lock while training; while another run holds it, show 'queued'."""
    if not main:
        yield
        return
    import fcntl

    device = pick_device(config.train.device)
    folder = lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / f"{device}.lock"
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            write_status(run_dir, "queued", message=f"Waiting for another run on {device} to finish.")
            while True:  # poll, so a stop request ends a queued run at once
                time.sleep(0.5)
                if stop_requested(run_dir):
                    raise RunError("Stopped while queued.") from None
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    continue
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
