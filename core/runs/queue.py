"""The queue of a runs folder: a queued run is a ``queue.json`` in its folder, not a waiting process.

:func:`queue_run` writes the entry (requested device, time, resume or not, owner when known); an app's scheduler
(``core.runs.scheduler``) starts the oldest waiting run of each free device. A stop of a waiting run
(:func:`cancel_queued`) takes it out of the queue at once and marks it 'stopped': no process ever existed. Both
the scheduler's start and the cancel happen under :func:`root_lock`, so exactly one of them wins. The queue lives
in the files only: an app killed with ``kill -9`` leaves its queued runs queued, and the next app on the same
runs folder starts them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.runs.events import append_event
from core.runs.folder import RunPaths, load_config, now, write_json
from core.runs.status import queue_entry, read_status, ready_to_start, write_status

LOCK_FILE = ".queue.lock"  # in the runs folder; the catalog skips dot-files
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def root_lock(root: str | Path) -> Iterator[None]:
    """Serialise queue changes of one runs folder, across threads and processes (starting, cancelling)."""
    import fcntl  # POSIX only, as every lock of TuneScope

    key = str(Path(root).resolve())
    with _GUARD:
        local = _THREAD_LOCKS.setdefault(key, threading.Lock())
    with local:
        fd = os.open(Path(key) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def queue_run(run_dir: str | Path, resume: bool = False, extra_env: dict[str, str] | None = None,
              owner: str | None = None) -> dict[str, Any]:
    """Put a run in its folder's queue (no process yet); returns its status, now 'queued'."""
    run_dir, status, paths = ready_to_start(run_dir)
    queued = max(time.time(), float(status.get("updated") or 0) + 1e-6)  # newer than the status it replaces
    train = load_config(run_dir).train
    write_json(paths.queue, {"queued": queued, "queued_at": now(), "device": train.device, "gpus": train.gpus,
                             "resume": bool(resume), "env": dict(extra_env or {}), "owner": owner})
    return read_status(run_dir)


def waiting_runs(root: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    """The runs of a runs folder waiting in its queue, oldest first, with their queue entries."""
    try:
        folders = [folder for folder in Path(root).iterdir() if not folder.name.startswith(".")]
    except OSError:
        return []
    waiting = []
    for folder in folders:
        if (folder / "queue.json").is_file():
            entry = queue_entry(folder)
            if entry is not None:
                waiting.append((folder, entry))
    return sorted(waiting, key=lambda item: (float(item[1]["queued"]), item[0].name))


def cancel_queued(run_dir: str | Path) -> bool:
    """Take a waiting run out of the queue and mark it 'stopped'; False when it is not waiting (it may have started)."""
    run_dir = Path(run_dir).resolve()
    if queue_entry(run_dir) is None:
        return False
    with root_lock(run_dir.parent):
        if queue_entry(run_dir) is None:  # the scheduler started it meanwhile: stop the process instead
            return False
        RunPaths(run_dir).queue.unlink(missing_ok=True)
        message = "Stopped while queued: it never started, so nothing was trained."
        append_event(run_dir, {"event": "stopped", "message": message, "while_queued": True})
        write_status(run_dir, "stopped", message=message, error_kind=None, retry=None)
    return True


def drop_stale(root: str | Path) -> None:
    """Remove ``queue.json`` files that no longer speak (a newer launch or status replaced them)."""
    with contextlib.suppress(OSError):
        for folder in Path(root).iterdir():
            entry = folder / "queue.json"
            if not folder.name.startswith(".") and entry.is_file() and queue_entry(folder) is None:
                entry.unlink(missing_ok=True)
