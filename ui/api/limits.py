"""Bounds on what one request may cost the shared server: text size, time, and a client that left.

``guard(seconds)`` returns a check that long work (head importance, attributions) calls between its
batches: it raises ``core.errors.Cancelled`` once the request ran past its time limit, or once Gradio
marked the request's event as no longer alive because the page that asked for it was closed, or once the
page asked to stop it (its *Cancel* button: :func:`request_cancel`, keyed by the page's session). How many
heavy requests run at once is bounded by the events' ``concurrency_id``: :data:`HEAVY`, which the heavy
endpoints (``ui.api.endpoints``) and the tabs' heavy events share.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Callable

from core.errors import Cancelled, DataError
from core.inference.predict import clean_text

MAX_TEXT_CHARS = 20_000
HEAVY_SECONDS = 120.0
HEAVY_CONCURRENCY = 2
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": HEAVY_CONCURRENCY}  # the bounded pool of heavy work
_CANCELS: dict[str, float] = {}  # a page's session -> when it last asked to stop its work (monotonic)
_CANCELS_LOCK = threading.Lock()


def checked_text(text: str | None, what: str = "text") -> str:
    """The text with lone surrogates replaced (``core.inference.predict.clean_text``); a clear error when
    it is over the size limit."""
    text = "" if text is None else str(text)
    if len(text) > MAX_TEXT_CHARS:
        raise DataError(f"The {what} has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}: "
                        "shorten it (only the first 512 tokens are read anyway).")
    return clean_text(text)


def _event_alive(blocks: object, event_id: str | None) -> bool:
    """False once Gradio's queue marked this event dead (its client disconnected); True if unknown."""
    try:
        for job_set in blocks._queue.active_jobs:  # type: ignore[attr-defined]
            for job in job_set or ():
                if job._id == event_id:
                    return bool(job.alive)
    except Exception:  # a Gradio internals change must not break requests
        return True
    return True


def _session(request: object) -> str | None:
    return getattr(request, "session_hash", None) or None


def request_cancel(request: object) -> bool:
    """Ask the work this page started before now to stop at its next check; False when the page is unknown."""
    session = _session(request)
    if session is None:
        return False
    now = time.monotonic()
    with _CANCELS_LOCK:
        for old in [key for key, when in _CANCELS.items() if now - when > 2 * HEAVY_SECONDS]:
            del _CANCELS[old]
        _CANCELS[session] = now
    return True


def cancelled_since(request: object, start: float) -> bool:
    """True when the request's page asked to stop its work after ``start`` (``time.monotonic``)."""
    session = _session(request)
    with _CANCELS_LOCK:
        return session is not None and _CANCELS.get(session, float("-inf")) >= start


def guard(seconds: float = HEAVY_SECONDS) -> Callable[[], None]:
    """A check for long work in the current request (see the module docstring)."""
    from gradio.context import LocalContext

    start = time.monotonic()
    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    request = LocalContext.request.get(None)

    def check() -> None:
        if time.monotonic() - start > seconds:
            raise Cancelled(f"This view took longer than {seconds:.0f} s and was stopped: try a shorter text.")
        if cancelled_since(request, start):
            raise Cancelled("Stopped, as you asked.")
        if blocks is not None and event_id is not None and not _event_alive(blocks, event_id):
            raise Cancelled("The page that asked for this view was closed, so the work was stopped.")

    return check


def stoppable(progress: Callable[[int, int], object] | None) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` for batch work with no time limit (a whole file): it stops the work once its
    page is closed or cancels it, and passes the count on to ``progress``."""
    check = guard(float("inf"))

    def report(done: int, total: int) -> None:
        check()
        if progress is not None:
            progress(done, total)

    return report


def give_back_memory() -> None:
    """Return freed heap pages to the system after heavy work (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
