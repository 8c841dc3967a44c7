"""Waiting in tests without fixed wall-clock waits: poll a condition in short steps, under a generous ceiling.

A loaded machine makes everything slower, never different: a test waits for what it needs (a state, an
event, a server answering), checking often, and fails only after ``CEILING`` seconds, far beyond any
normal run. No test sleeps a fixed time and then asserts, and none asserts a wall-clock duration.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

CEILING = 600.0
STEP = 0.2
T = TypeVar("T")


def poll_until(condition: Callable[[], T], what: str, ceiling: float = CEILING, step: float = STEP) -> T:
    """``condition()``'s first true value; an AssertionError naming ``what`` after ``ceiling`` seconds."""
    deadline = time.monotonic() + ceiling
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {ceiling:.0f} s")
        time.sleep(step)


def answers(url: str) -> bool:
    """True once the server at ``url`` answers its root page (a login page's 401 counts: it is up)."""
    try:
        urllib.request.urlopen(url, timeout=5)
        return True
    except OSError as exc:
        return getattr(exc, "code", None) == 401


def wait_ready(url: str, alive: Callable[[], Any] | None = None, log: Callable[[], str] | None = None) -> None:
    """Poll the server's root until it answers; fail at once when ``alive()`` says its process ended."""

    def ready() -> bool:
        if alive is not None and not alive():
            raise AssertionError(f"the server exited: {log() if log else ''}")
        return answers(url)

    poll_until(ready, f"the server at {url} did not answer")
