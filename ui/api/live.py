"""Server-side view of runs being watched: new events are parsed once and shared by every page.

Each browser session keeps only the run folder and how many events it has drawn (small ``gr.State``
values); the parsed events live here, keyed by run folder, so a reload re-attaches cheaply. The log box's text is
the readable tail of ``train.log`` (``core.runs.trainlog``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from core.runs import EventTail
from core.runs.trainlog import readable_tail

_MAX_VIEWS = 16


class RunView:
    """Accumulated events of one run, read incrementally from ``events.jsonl``."""

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.tail = EventTail(run_dir)
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def refresh(self) -> list[dict[str, Any]]:
        with self.lock:
            self.events.extend(self.tail.read_new())
            return self.events


_VIEWS: OrderedDict[str, RunView] = OrderedDict()
_VIEWS_LOCK = threading.Lock()


def view_for(run_dir: str) -> RunView:
    """The shared :class:`RunView` for ``run_dir`` (least recently used views are dropped)."""
    key = str(Path(run_dir).resolve())
    with _VIEWS_LOCK:
        view = _VIEWS.pop(key, None) or RunView(key)
        _VIEWS[key] = view
        while len(_VIEWS) > _MAX_VIEWS:
            _VIEWS.popitem(last=False)
        return view


def log_tail(run_dir: str, lines: int = 25) -> str:
    """The last ``lines`` lines of the run's ``train.log`` a person needs (``core.runs.trainlog``: no terminal
    codes, progress bars or library noise; the file keeps everything), oldest first."""
    return readable_tail(run_dir, lines)
