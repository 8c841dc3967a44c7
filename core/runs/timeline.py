"""When a run was created and last spoke, read from the two ends of ``events.jsonl``.

The catalog lists hundreds of runs, some with long event logs: this module reads a bounded head of the
file (up to the first 'started' event) and seeks back from its end, in blocks, for the last complete line
that is an event, so listing never parses a whole log. A line still being written (no newline yet) or a
damaged line is skipped; a line over ``core.runs.events.MAX_EVENT_LINE`` is passed over without being held,
and the search back gives up after :data:`TAIL_LIMIT` bytes. Reading every event is ``core.runs.events``;
listing runs is ``core.runs.catalog``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from core.runs.events import MAX_EVENT_LINE, READ_BLOCK, parse_event

HEAD_LIMIT = 64 * 1024  # bytes read from the start at most, looking for the first 'started' event
TAIL_BLOCK = 8 * 1024  # first block read back from the end; grows 8x per block up to READ_BLOCK
TAIL_LIMIT = 64 * 1024 * 1024  # bytes read back from the end at most, looking for the last event


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
                event = parse_event(line)
                if event is None:
                    continue
                first = first or event
                if event.get("event") == "started":
                    return first, event
    except OSError:
        pass
    return first, None


def lines_backwards(handle: BinaryIO, end: int) -> Iterator[bytes | None]:
    """The complete lines before ``end``, last first, read back in growing blocks (at most :data:`TAIL_LIMIT`
    bytes); None stands for a line over ``MAX_EVENT_LINE``, which is passed over without being kept. The bytes
    after the last line break (a line still being written) are not a line."""
    position, buffer, block = end, b"", TAIL_BLOCK
    ended = skipping = False  # past the last line break; inside a line too long to keep
    while position > 0 and end - position < TAIL_LIMIT:
        size = min(block, position)
        position -= size
        block = min(block * 8, READ_BLOCK)
        handle.seek(position)
        pieces = (handle.read(size) + buffer).split(b"\n")
        buffer = pieces[0]
        for piece in reversed(pieces[1:]):
            if not ended or skipping:
                yield from ([None] if ended else [])
                ended, skipping = True, False
            else:
                yield piece
        if len(buffer) > MAX_EVENT_LINE:
            buffer, skipping = b"", True
    if position == 0 and ended:
        yield None if skipping else buffer


def last_event(path: Path) -> dict[str, Any] | None:
    """The last complete, readable event of the log, found by seeking back from its end."""
    try:
        with open(path, "rb") as handle:
            for line in lines_backwards(handle, handle.seek(0, os.SEEK_END)):
                event = parse_event(line) if line is not None else None
                if event is not None:
                    return event
    except OSError:
        pass
    return None


def event_time(event: dict[str, Any] | None) -> float | None:
    value = (event or {}).get("time")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def iso_time(seconds: float | None) -> str | None:
    """Seconds since the epoch as the ISO form ``status.json`` uses (UTC, whole seconds)."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="seconds")


def created_at(run_dir: Path) -> str | None:
    """When the run was created: its first event, else its data report (written once at creation), else the
    folder. (How long it trained is ``core.runs.progress``'s training time.)"""
    created = event_time(head_events(Path(run_dir) / "events.jsonl")[0])
    for fallback in (Path(run_dir) / "data_report.json", Path(run_dir)):
        if created is not None:
            break
        try:
            created = fallback.stat().st_mtime
        except OSError:
            created = None
    return iso_time(created)
