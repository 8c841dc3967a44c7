"""A run's ``events.jsonl``: append one JSON object per line, and read back only what is new.

Written by the training process (through ``core.training.callback``); read by the app and the CLI.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from core.runs.folder import RunPaths


def append_event(run_dir: str | Path, event: dict[str, Any]) -> None:
    """Append one event line (with a timestamp) to ``events.jsonl``."""
    event = {"time": time.time(), **event}
    with open(RunPaths(Path(run_dir)).events, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, default=float) + "\n")
        handle.flush()



class EventTail:
    """Reads only the events appended since the last call (by byte offset)."""

    def __init__(self, run_dir: str | Path, offset: int = 0) -> None:
        self.path = RunPaths(Path(run_dir)).events
        self.offset = offset

    def read_new(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events = []
        for line in chunk[: end + 1].splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return events



def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    return EventTail(run_dir).read_new()
