"""Cooperative stop for a training process: a ``STOP`` file in the run folder, or SIGTERM.

``install_stop_signal`` is called only by the training child's entry point (``python -m core train``),
never on import and never in the app's server process.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core import runs

_STOP_SIGNALLED = False


def _on_sigterm(signum: int, frame: Any) -> None:
    global _STOP_SIGNALLED
    _STOP_SIGNALLED = True


def install_stop_signal() -> None:
    """Turn SIGTERM into a cooperative stop (the run saves a model and ends as 'stopped')."""
    signal.signal(signal.SIGTERM, _on_sigterm)


@contextmanager
def stop_signal() -> Iterator[None]:
    """:func:`install_stop_signal` while training, then the previous handler again (for in-process callers)."""
    before = signal.getsignal(signal.SIGTERM)
    install_stop_signal()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def stop_requested(run_dir: Path) -> bool:
    """True once the user asked to stop (STOP file) or the process got SIGTERM."""
    return _STOP_SIGNALLED or runs.RunPaths(Path(run_dir)).stop_flag.exists()
