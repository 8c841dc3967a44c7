"""One training run per device at a time, across every runs folder: a file lock per device, naming its holder.

The locks live in one place per user ($TUNESCOPE_LOCKS, else the TuneScope cache folder), not next to the run
folder, so a run written with ``--output`` somewhere else, or by another app on another runs folder, still waits
for the device. The lock file itself records its holder while it is held (run folder, owner when known, pid and
start time), so any app of the machine can say whose run holds a device (:func:`read_holder`). An app's queue
(``core.runs.scheduler``) takes the lock with :func:`reserve` and hands it to the child it starts (the child
inherits the locked file and never waits); a run trained in the foreground (``python -m core train``) waits for
the lock itself, showing 'queued' and ending at once on a stop request.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.devices import pick_device
from core.errors import RunError
from core.runs.folder import now
from core.runs.slots import foreground_slot, lock_name
from core.runs.status import alive, write_status

RECORD_BLOCK = 4096  # a holder record is written in one block, padded with spaces: readers see old or new
INHERITED_FD, INHERITED_LOCK, SLOT = "TUNESCOPE_LOCK_FD", "TUNESCOPE_DEVICE_LOCK", "TUNESCOPE_DEVICE_SLOT"
HELD_BY_LAUNCHER = "TUNESCOPE_LOCKS_HELD"  # the slots whose locks torchrun's agent holds for its processes


def launcher_env(group: list[str]) -> dict[str, str]:
    """What the processes of a run on several slots see: their locks are held by the launcher (torchrun's agent,
    which inherited them and outlives every process), so no process takes or waits for one."""
    return {HELD_BY_LAUNCHER: ",".join(group)}


def lock_dir() -> Path:
    """Where the per-device lock files are: $TUNESCOPE_LOCKS, else <TuneScope cache>/locks."""
    base = os.environ.get("TUNESCOPE_LOCKS")
    if base:
        return Path(base)
    return Path(os.environ.get("TUNESCOPE_CACHE") or Path.home() / ".cache" / "tunescope") / "locks"


def lock_path(name: str) -> Path:
    folder = lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.lock"


def reserve(name: str) -> int | None:
    """Take the device lock ``name`` without waiting: its file descriptor (to hand to a child), or None when held."""
    import fcntl  # POSIX only: importing core stays possible elsewhere

    fd = os.open(lock_path(name), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def release(fd: int) -> None:
    """Clear the holder record and let the device go."""
    import fcntl

    with contextlib.suppress(OSError):
        write_holder(fd, {})
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def holder_record(run_dir: Path, pid: int, slot: str, owner: str | None = None) -> dict[str, Any]:
    return {"run_dir": str(run_dir), "run_id": Path(run_dir).name, "owner": owner, "pid": pid, "slot": slot,
            "started": time.time(), "started_at": now()}


def write_holder(fd: int, record: dict[str, Any]) -> None:
    """Write who holds the lock into the (locked) lock file, in one padded block."""
    data = json.dumps(record).encode("utf-8")
    size = -(-max(len(data), 1) // RECORD_BLOCK) * RECORD_BLOCK
    os.pwrite(fd, data + b" " * (size - len(data)), 0)
    os.ftruncate(fd, size)


def read_holder(name: str) -> dict[str, Any] | None:
    """Who holds device lock ``name``: its record while its process lives, else None (the device is free)."""
    try:
        with open(lock_dir() / f"{name}.lock", "rb") as handle:
            text = handle.read(64 * 1024).decode("utf-8", errors="replace").lstrip()
        record, _ = json.JSONDecoder().raw_decode(text) if text else ({}, 0)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int) or not alive(record["pid"]):
        return None
    return record


def inherited_lock() -> int | None:
    """The device lock this training child was handed by the queue (checked to be that lock file), else None."""
    import fcntl

    fd_text, name = os.environ.pop(INHERITED_FD, None), os.environ.pop(INHERITED_LOCK, None)
    if not fd_text or not name or not fd_text.isdigit():
        return None
    fd = int(fd_text)
    try:
        if os.fstat(fd).st_ino != os.stat(lock_dir() / f"{name}.lock").st_ino:
            return None
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # already ours: the queue locked this very open file
    except OSError:
        return None
    return fd


def wait_for_lock(run_dir: Path, name: str, slot: str, stop_requested: Callable[[Path], bool]) -> int:
    """Block until device lock ``name`` is free (showing 'queued' and whose run holds it); a stop ends the wait."""
    import fcntl

    fd = os.open(lock_path(name), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        holder = read_holder(name)
        message = (f"Waiting for run '{holder['run_id']}' on {slot} to finish." if holder and holder.get("run_id")
                   else f"Waiting for another run on {slot} to finish.")
        write_status(run_dir, "queued", message=message)
    while True:  # poll, so a stop request ends a queued run at once
        time.sleep(0.5)
        if stop_requested(run_dir):
            os.close(fd)
            raise RunError("Stopped while queued.")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            continue


@contextlib.contextmanager
def device_lock(run_dir: Path, config: RunConfig, main: bool,
                stop_requested: Callable[[Path], bool]) -> Iterator[None]:
    """Hold this device's lock while training: the one the queue handed over, else wait for it ('queued').

    Processes of a run on several devices never lock: their launcher holds every device's lock."""
    if not main or os.environ.get(HELD_BY_LAUNCHER):
        yield
        return
    fd = inherited_lock()
    if fd is None:
        slot = os.environ.get(SLOT) or foreground_slot(pick_device(config.train.device))
        fd = wait_for_lock(run_dir, lock_name(slot), slot, stop_requested)
        with contextlib.suppress(OSError):
            write_holder(fd, holder_record(run_dir, os.getpid(), slot))
    try:
        yield
    finally:
        release(fd)
