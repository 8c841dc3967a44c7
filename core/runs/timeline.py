"""When a run was created, started and last spoke, read from the two ends of ``events.jsonl``.

The catalog lists hundreds of runs, some with long event logs: this module reads a bounded head of the
file (up to the first 'started' event) and seeks back from its end for the last complete line, so
listing never parses a whole log. A line still being written (no newline yet) or a damaged line is
skipped. Reading every event is ``core.runs.events``; listing runs is ``core.runs.catalog``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

HEAD_LIMIT = 64 * 1024  # bytes read from the start at most, looking for the first 'started' event
TAIL_BLOCK = 8 * 1024  # first block read back from the end; grows 8x while no complete line is in it
TAIL_LIMIT = 4 * 1024 * 1024


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:  # bad JSON or bad UTF-8: a damaged line is skipped
        return None
    return value if isinstance(value, dict) else None


def head_events(path: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The first event of the log and its first 'started' event (within ``HEAD_LIMIT`` bytes)."""
    first = None
    try:
        with open(path, "rb") as handle:
            read = 0
            while read < HEAD_LIMIT:
                line = handle.readline(HEAD_LIMIT)
                if not line.endswith(b"\n"):  # end of the file, or a line still being written
                    break
                read += len(line)
                event = _parse(line)
                if event is None:
                    continue
                first = first or event
                if event.get("event") == "started":
                    return first, event
    except OSError:
        pass
    return first, None


def last_event(path: Path) -> dict[str, Any] | None:
    """The last complete, readable event of the log, found by seeking back from its end."""
    try:
        with open(path, "rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            size = TAIL_BLOCK
            while True:
                start = max(0, end - size)
                handle.seek(start)
                pieces = handle.read(end - start).split(b"\n")
                # the last piece has no newline yet; the first may be cut in the middle of a line
                for line in reversed(pieces[1:-1] if start else pieces[:-1]):
                    event = _parse(line)
                    if event is not None:
                        return event
                if start == 0 or size >= TAIL_LIMIT:
                    return None
                size *= 8
    except OSError:
        return None


def event_time(event: dict[str, Any] | None) -> float | None:
    value = (event or {}).get("time")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def iso_time(seconds: float | None) -> str | None:
    """Seconds since the epoch as the ISO form ``status.json`` uses (UTC, whole seconds)."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")


def run_times(run_dir: Path, active: bool) -> dict[str, Any]:
    """``created_at`` (first event, else the folder) and ``duration_seconds`` (first 'started' event to
    the last event, or to now while the run is active; None before it started)."""
    events = Path(run_dir) / "events.jsonl"
    first, started = head_events(events)
    created = event_time(first)
    if created is None:
        try:  # written once when the run was created; the folder itself as a fallback
            created = (Path(run_dir) / "data_report.json").stat().st_mtime
        except OSError:
            try:
                created = Path(run_dir).stat().st_mtime
            except OSError:
                created = None
    begin = event_time(started)
    duration = None
    if begin is not None:
        end = time.time() if active else event_time(last_event(events))
        duration = round(max(0.0, (end if end is not None else begin) - begin), 1)
    return {"created_at": iso_time(created), "duration_seconds": duration}
