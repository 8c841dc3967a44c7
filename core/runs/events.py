"""A run's ``events.jsonl``: append one JSON object per line, and read back only what is new, whatever the file holds.

Written by the training process (through ``core.training.callback``); read by the app and the CLI. A crashed
or tampered process may leave anything there: garbage bytes, invalid UTF-8, JSON that is not an object, a
line of hundreds of MB, a last line cut short. Reading goes in blocks of :data:`READ_BLOCK` bytes; a line
longer than :data:`MAX_EVENT_LINE` is skipped as it streams past (never held whole), and every line that is
not one JSON object is skipped and counted, so a reader can say ``events.jsonl: 2 damaged lines skipped``
(:func:`damage_note`) instead of failing. The two ends of the log (for listing runs) are ``core.runs.timeline``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from core.runs.folder import RunPaths

MAX_EVENT_LINE = 1024 * 1024  # the longest real event is a few KB
READ_BLOCK = 1024 * 1024


def append_event(run_dir: str | Path, event: dict[str, Any]) -> None:
    """Append one event line (with a timestamp) to ``events.jsonl``."""
    event = {"time": time.time(), **event}
    with open(RunPaths(Path(run_dir)).events, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, default=float) + "\n")
        handle.flush()


def parse_event(line: bytes) -> dict[str, Any] | None:
    """One line as an event, or None when it is not one JSON object (bad UTF-8, bad JSON, too deep, a list...)."""
    if len(line) > MAX_EVENT_LINE:
        return None
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return value if isinstance(value, dict) else None


def damage_note(name: str, damaged: int) -> str | None:
    """'events.jsonl: 2 damaged lines skipped', or None when nothing was skipped."""
    return f"{name}: {damaged:,} damaged line{'' if damaged == 1 else 's'} skipped" if damaged else None


class EventTail:
    """Reads only the events appended since the last call (by byte offset), in bounded blocks.

    ``damaged`` counts the complete lines skipped so far; ``partial`` holds the bytes after the last line
    break (a line still being written, or cut short by a crash), at most :data:`MAX_EVENT_LINE` of them.
    """

    def __init__(self, run_dir: str | Path, offset: int = 0) -> None:
        self.path = RunPaths(Path(run_dir)).events
        self.offset = offset
        self.damaged = 0
        self.partial = b""
        self._skipping = False  # inside a line over MAX_EVENT_LINE, already counted

    def read_new(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                pending = b""
                while block := handle.read(READ_BLOCK):
                    pieces = block.split(b"\n")
                    for piece in pieces[:-1]:
                        self._line(pending + piece, events)
                        pending = b""
                    pending = self._rest(pending, pieces[-1])
                self.partial = pending
        except OSError:
            pass
        return events

    def _line(self, line: bytes, events: list[dict[str, Any]]) -> None:
        """A complete line (its bytes, without the line break), consumed."""
        self.offset += len(line) + 1
        if self._skipping:
            self._skipping = False
            return
        if not line.strip():
            return
        event = parse_event(line)
        if event is None:
            self.damaged += 1
        else:
            events.append(event)

    def _rest(self, pending: bytes, rest: bytes) -> bytes:
        """The bytes of a line whose end is not read yet; past MAX_EVENT_LINE they are counted and skipped."""
        if self._skipping:
            self.offset += len(rest)
            return b""
        if len(pending) + len(rest) > MAX_EVENT_LINE:
            self._skipping = True
            self.damaged += 1
            self.offset += len(pending) + len(rest)
            return b""
        return pending + rest


def read_events_noted(run_dir: str | Path) -> tuple[list[dict[str, Any]], str | None]:
    """Every event of the run, and a note on the lines skipped (a cut-short last line counts when it is not an
    event: the process that wrote it is gone, or it is still writing it)."""
    tail = EventTail(run_dir)
    events = tail.read_new()
    if tail.partial.strip() and not tail._skipping:
        last = parse_event(tail.partial)
        if last is None:
            tail.damaged += 1
        else:
            events.append(last)
    return events, damage_note(tail.path.name, tail.damaged)


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every readable event of the run (see :func:`read_events_noted` for the note on skipped lines)."""
    return read_events_noted(run_dir)[0]
