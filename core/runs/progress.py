"""A run's numbers, computed in one place for every reader: phase, step, training time, time left, samples/s.

The Train tab's status line, the Runs table, ``python -m core runs`` (list and show), ``/training_status`` and the
HTML report all show :func:`run_progress`, read from the run's files (``status.json``, ``launch.json`` and
``events.jsonl``), so they cannot disagree. Its definitions:

- **step** / **total_steps**: the newest optimizer step any event of the latest attempt names (step, eval,
  checkpoint, stopping, and the final 'finished' or 'stopped' event, which carries ``status.json``'s
  ``global_step``); a resumed attempt starts at its ``resumed_from_step``. While pre-training runs, the
  stage's own steps. Without events, ``status.json``'s ``global_step``.
- **training time** (``training_seconds``): how long the training loops ran, summed over the run's attempts.
  An attempt runs from its 'started' event to its last event (to now while it still trains); time waiting in
  the queue, loading before 'started' and between a stop and a resume is not counted. The Runs table's
  *duration* and the Train tab's *elapsed* are this number.
- **remaining** (``remaining_seconds``): only while an attempt trains: its latest step event's estimate less
  the time since that event was written. None while the run waits, starts, loads or has ended.
- **samples/s**: the latest step event's measured rate (training only: evaluations and saves are left out).
- **phase**: ``created``, ``waiting`` (in the queue), ``starting`` (the child launched, not yet loading),
  ``loading`` (the child runs but training has not started: loading the model, the data, the checkpoint),
  ``pretraining``, ``training``, ``ended``; ``resuming`` is true while an attempt after the first loads.

The event log is read incrementally and its summary cached per file (a few numbers per attempt, never the
events), so listing hundreds of runs each second reads only the bytes appended since the last call.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from core.runs.events import EventTail
from core.runs.folder import RunPaths, read_json
from core.runs.status import read_status

CLOSING = ("finished", "stopped", "failed", "interrupted", "stage_done")  # end the attempt they belong to
EXTENDING = ("step", "eval", "checkpoint", "stopping", "nonfinite", *CLOSING)  # an attempt lasts up to these
_CACHED = 512


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def clock(seconds: float | None) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss`` ('—' for None): how every reader writes a duration."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Attempts:
    """What the event log says about the run's attempts, folded one event at a time (a few numbers each)."""

    def __init__(self) -> None:
        self.spans: list[list[float]] = []  # [begin, end] of each attempt, from its 'started' to its last event
        self.open = False  # the last attempt has no closing event (yet, or its process died)
        self.started: dict[str, Any] = {}  # the last 'started' event
        self.stage: str | None = None  # the last attempt's stage (None: fine-tuning, "pretrain")
        self.steps: dict[str | None, float] = {}
        self.totals: dict[str | None, float] = {}
        self.rate: dict[str, Any] = {}  # the last attempt's latest step event

    def add(self, event: dict[str, Any]) -> None:
        kind, moment, stage = event.get("event"), _number(event.get("time")), event.get("stage")
        if kind == "started":
            self.spans.append([moment or 0.0, moment or 0.0])
            self.open, self.started, self.stage, self.rate = True, event, stage, {}
            self.steps[stage] = _number(event.get("resumed_from_step")) or 0.0
            self._total(stage, event)
            return
        step = _number(event.get("step"))
        if step is not None and (self.open or kind in CLOSING):  # a final event after a stop carries its step
            self.steps[stage] = max(self.steps.get(stage, 0.0), step) if self.open else step
        if not self.open:
            return
        if kind in EXTENDING and moment is not None:
            self.spans[-1][1] = max(self.spans[-1][1], moment)
        self._total(stage, event)
        if kind == "step":
            self.rate = event
        if kind in CLOSING:
            self.open = False

    def _total(self, stage: str | None, event: dict[str, Any]) -> None:
        total = _number(event.get("total_steps"))
        if total:
            self.totals[stage] = total

    def copy(self) -> Attempts:
        """A copy another thread's new events cannot change."""
        copied = Attempts()
        copied.spans, copied.open, copied.started = [list(span) for span in self.spans], self.open, self.started
        copied.stage, copied.steps, copied.totals, copied.rate = self.stage, dict(self.steps), dict(self.totals), self.rate
        return copied


class _Cached:
    def __init__(self, run_dir: Path) -> None:
        self.tail = EventTail(run_dir)
        self.attempts = Attempts()
        self.identity: tuple[int, int] | None = None
        self.lock = threading.Lock()


_LOGS: OrderedDict[str, _Cached] = OrderedDict()
_LOGS_LOCK = threading.Lock()


def read_attempts(run_dir: str | Path) -> Attempts:
    """The run's :class:`Attempts` (a copy), brought up to date with the events appended since the last call (a
    log that was replaced or cut is read again from its start)."""
    path = RunPaths(Path(run_dir)).events
    key = str(path.resolve())
    with _LOGS_LOCK:
        cached = _LOGS.pop(key, None) or _Cached(Path(run_dir))
        _LOGS[key] = cached
        while len(_LOGS) > _CACHED:
            _LOGS.popitem(last=False)
    with cached.lock:
        try:
            stat = os.stat(path)
            identity = (stat.st_ino, stat.st_dev)
            size = stat.st_size
        except OSError:
            identity, size = None, 0
        if identity != cached.identity or size < cached.tail.offset:
            cached.tail, cached.attempts, cached.identity = EventTail(Path(run_dir)), Attempts(), identity
        for event in cached.tail.read_new():
            cached.attempts.add(event)
        return cached.attempts.copy()


def _live(attempts: Attempts, status: dict[str, Any], launch: dict[str, Any]) -> bool:
    """Whether the open attempt belongs to the process running now (not to one killed before a resume)."""
    if not attempts.open or status.get("state") not in ("running", "stopping"):
        return False
    pid = attempts.started.get("pid")
    if pid is not None:
        return pid == status.get("pid")
    launched = _number(launch.get("launched")) if isinstance(launch, dict) else None
    return launched is None or (_number(attempts.started.get("time")) or 0.0) >= launched


def _phase(state: Any, status: dict[str, Any], live: bool, stage: str | None) -> str:
    if status.get("waiting"):
        return "waiting"
    if state == "created":
        return "created"
    if state == "queued":
        return "starting"
    if state in ("running", "stopping"):
        return ("pretraining" if stage == "pretrain" else "training") if live else "loading"
    return "ended"


def run_progress(run_dir: str | Path, status: dict[str, Any] | None = None, now: float | None = None) -> dict[str, Any]:
    """The run's numbers as plain data (see the module docstring for their definitions); ``status``: its
    ``read_status`` when the caller has it already."""
    run_dir = Path(run_dir)
    status = read_status(run_dir) if status is None else status
    now = time.time() if now is None else now
    attempts = read_attempts(run_dir)
    spans, stage, rate, steps, totals = attempts.spans, attempts.stage, attempts.rate, attempts.steps, attempts.totals
    live = _live(attempts, status, read_json(RunPaths(run_dir).launch, {}) or {})
    phase = _phase(status.get("state"), status, live, stage)
    if live:
        spans[-1][1] = max(spans[-1][1], now)
    shown = stage if phase == "pretraining" else None
    step = steps.get(shown, _number(status.get("global_step")))
    total = totals.get(shown, _number(status.get("total_steps")))
    remaining = None
    if live and _number(rate.get("eta_seconds")) is not None:
        remaining = max(0.0, rate["eta_seconds"] - max(0.0, now - (_number(rate.get("time")) or now)))
    return {
        "state": status.get("state"), "phase": phase, "stage": "pretrain" if phase == "pretraining" else None,
        "resuming": phase in ("waiting", "starting", "loading") and bool(spans or status.get("global_step")),
        "step": int(step) if step is not None else None, "total_steps": int(total) if total else None,
        "training_seconds": round(sum(end - begin for begin, end in spans), 1) if spans else None,
        "remaining_seconds": round(remaining, 1) if remaining is not None else None,
        "samples_per_second": _number(rate.get("samples_per_second")) if phase not in ("starting", "loading") else None,
        "attempts": len(spans),
    }
