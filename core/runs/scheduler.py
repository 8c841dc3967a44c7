"""An app's scheduler: for each device it may use, it starts the oldest waiting run of the queue once the device is free.

:func:`tick` looks at one runs folder: for each waiting run, oldest first (``core.runs.queue``), it takes the lock
of a free slot of the kind the run asks for (``core.runs.slots``, ``core.runs.lock``: a lock held by any run of
the machine, from any folder, means busy), writes the holder into the lock file and starts the training child,
which inherits the locked file: from the moment of the choice to the end of its training nobody else gets that
device, and the next waiting run gets it the moment the child lets go. At most one child per device ever exists
for a queue. :func:`serve` hands a runs folder to the one daemon thread of this process (a tick a second);
:func:`poll` ticks from a status poll, so the queue moves without the thread too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from core.runs.cluster import submit
from core.runs.folder import RunPaths
from core.runs.jobs import on_cluster
from core.runs.lock import (
    INHERITED_FD,
    INHERITED_LOCK,
    SLOT,
    holder_record,
    launcher_env,
    reserve,
    write_holder,
)
from core.runs.process import spawn_child
from core.runs.queue import drop_stale, root_lock, waiting_runs
from core.runs.slots import child_env, lock_name, slots_for
from core.runs.status import write_status

INTERVAL = 1.0  # seconds between the thread's ticks
POLL_EVERY = 0.5  # a status poll ticks a folder at most this often
_SERVED: dict[str, tuple[str, ...]] = {}
_LAST: dict[str, float] = {}
_GUARD = threading.Lock()
_THREAD: list[threading.Thread] = []
log = logging.getLogger("tunescope.queue")


def tick(root: str | Path, slots: tuple[str, ...] | list[str]) -> list[str]:
    """Start the oldest waiting run of each free slot of ``root``'s queue; returns the ids of the runs started.

    A run asking for N devices at once (``gpus``) starts when N slots of its kind are free, and holds all N."""
    root = Path(root).resolve()
    if not waiting_runs(root):
        return []
    if on_cluster():
        return submit_waiting(root)
    started: list[str] = []
    with root_lock(root):
        taken: set[str] = set()
        for run_dir, entry in waiting_runs(root):  # again, under the lock: a cancel or another app may have won
            wanted = entry.get("gpus") if isinstance(entry.get("gpus"), int) and entry["gpus"] > 0 else 1
            group: list[tuple[str, int]] = []
            for slot in [s for s in slots_for(entry.get("device"), slots) if s not in taken]:
                taken.add(slot)
                fd = reserve(lock_name(slot))
                if fd is not None:  # else held by a run of this or another folder
                    group.append((slot, fd))
                if len(group) == wanted:
                    break
            try:
                if len(group) == wanted and start_child(run_dir, entry, [s for s, _ in group], [f for _, f in group]):
                    started.append(run_dir.name)
            finally:
                for _, fd in group:  # the child holds the locks from here on (or nobody: too few were free)
                    os.close(fd)
            if len(taken) >= len(slots):
                break
        if started:
            drop_stale(root)
    return started


def entry_fields(entry: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """(owner, extra environment as text) of a queue entry, whatever a damaged entry holds instead."""
    owner = entry.get("owner") if isinstance(entry.get("owner"), str) else None
    extra = entry.get("env") if isinstance(entry.get("env"), dict) else {}
    return owner, {str(k): str(v) for k, v in extra.items()}


def start_child(run_dir: Path, entry: dict[str, Any], group: list[str], fds: list[int]) -> bool:
    """Start the training child of a waiting run on the slots ``group`` (one, or several for a data-parallel run
    launched through torchrun), handing it their locked files ``fds``."""
    paths = RunPaths(run_dir)
    owner, extra = entry_fields(entry)
    slot = ",".join(group)
    env = {"TUNESCOPE_CHILD": "1", **extra, **child_env(group), SLOT: slot}
    if len(group) == 1:
        env.update({INHERITED_FD: str(fds[0]), INHERITED_LOCK: lock_name(group[0])})
    else:  # torchrun's agent inherits the locks and lives until every process has ended
        env.update(launcher_env(group))
    arguments = ["train", "--run-dir", str(run_dir), *(["--resume"] if entry.get("resume") else [])]
    record = {"slot": slot, "owner": owner, "queued_at": entry.get("queued_at")}
    try:
        pid = spawn_child(arguments, paths.log, paths.launch, env, pass_fds=tuple(fds), record=record,
                          processes=len(group))
    except OSError:
        log.exception("could not start the training process of run %s", run_dir.name)
        paths.queue.unlink(missing_ok=True)
        write_status(run_dir, "failed", message="The training process could not be started: see the app's log.")
        return False
    for fd in fds:
        write_holder(fd, holder_record(run_dir, pid, slot, owner))
    paths.queue.unlink(missing_ok=True)
    return True


_TOLD: set[str] = set()  # runs whose wait for the cluster the log has already mentioned


def passing(error: Exception) -> bool:
    """True for a cluster error that asks to be tried again: no connection (``OSError``, which the HTTP client's
    errors are), or Ray's own 'try again later' (its job agent not up yet on a node that just started)."""
    return isinstance(error, OSError) or "try again later" in str(error).lower()


def submit_waiting(root: Path) -> list[str]:
    """With a cluster runner (``core.runs.cluster``): hand every waiting run to the cluster, whose scheduler starts
    it where its devices are free; a run the cluster refuses fails with the reason, one it cannot take yet
    (:func:`passing`) waits for the next tick."""
    started: list[str] = []
    with root_lock(root):
        for run_dir, entry in waiting_runs(root):
            paths = RunPaths(run_dir)
            owner, extra = entry_fields(entry)
            try:
                submit(run_dir, bool(entry.get("resume")), extra, owner)
            except Exception as exc:  # a refused job: the run says so, the queue moves on
                if passing(exc):  # the cluster is busy or briefly unreachable: the run waits for the next tick
                    if run_dir.name not in _TOLD:  # once per run, not at every tick
                        _TOLD.add(run_dir.name)
                        log.warning("run %s waits for the cluster: %s", run_dir.name, exc)
                    continue
                log.exception("could not submit run %s to the cluster", run_dir.name)
                paths.queue.unlink(missing_ok=True)
                write_status(run_dir, "failed", message=f"The cluster did not take the run: {exc}")
                continue
            paths.queue.unlink(missing_ok=True)
            _TOLD.discard(run_dir.name)
            started.append(run_dir.name)
    return started


def poll(root: str | Path, slots: tuple[str, ...] | list[str], every: float = POLL_EVERY) -> list[str]:
    """:func:`tick`, at most once per ``every`` seconds per runs folder (for status polls)."""
    key = str(Path(root).resolve())
    moment = time.monotonic()
    with _GUARD:
        if moment - _LAST.get(key, -every - 1) < every:
            return []
        _LAST[key] = moment
    return tick(key, slots)


def serve(root: str | Path, slots: tuple[str, ...] | list[str]) -> None:
    """Let this process's scheduler thread (started on first use) start the queued runs of ``root`` on ``slots``."""
    with _GUARD:
        _SERVED[str(Path(root).resolve())] = tuple(slots)
        if not _THREAD or not _THREAD[0].is_alive():
            _THREAD[:] = [threading.Thread(target=_loop, name="tunescope-queue", daemon=True)]
            _THREAD[0].start()


def served(root: str | Path) -> tuple[str, ...] | None:
    """The slots this process schedules ``root`` on, or None."""
    return _SERVED.get(str(Path(root).resolve()))


def _loop() -> None:
    while True:
        for key, slots in list(_SERVED.items()):  # a runs folder not made yet has no queue: nothing happens
            try:
                poll(key, slots, every=0)
            except Exception:  # the thread must outlive one bad folder; the error goes to the app's log
                log.exception("queue of %s", key)
        time.sleep(INTERVAL)
