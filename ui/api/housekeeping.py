"""The app's cleanup sweep: downloads nobody fetched and uploads no run uses are deleted after their age.

While the app serves, :meth:`Housekeeping.lifespan` (given to Gradio's FastAPI app by
``ui.interface.launch_kwargs``) runs :meth:`Housekeeping.sweep` every ``PERIOD`` seconds (more often when
downloads expire sooner than three periods) in a worker thread:
downloads older than ``--download-minutes`` (``ui.api.downloads``) every time, and uploads stored more than
``--upload-days`` ago that no run, sweep or corrected-data record names (:func:`used_uploads`) every
``UPLOADS_EVERY`` sweeps; when the app stops, its remaining downloads. A failing sweep is logged and tried
again next time; it never stops the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from core.data.uploads import expire_uploads, is_upload_id
from core.runs import read_json
from ui.api.downloads import Downloads

PERIOD = 60.0
UPLOADS_EVERY = 10
FILES_NAMING_UPLOADS = ("config.json", "data_changes.json")
log = logging.getLogger(__name__)


def _names(value: Any) -> set[str]:
    """Every upload id a JSON value names: as a file name, or as the last part of a path."""
    if isinstance(value, dict):
        return set().union(*(_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value)) if value else set()
    if isinstance(value, str) and value:
        name = Path(value).name
        return {name} if is_upload_id(name) else set()
    return set()


def used_uploads(root: Path) -> set[str]:
    """The upload ids that the runs (``config.json``, ``data_changes.json``) and sweeps (``sweep.json``) of the
    runs folder ``root`` name: their training, validation and pre-training files."""
    used: set[str] = set()
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")] if root.is_dir() else []
    for folder in folders:
        for name in FILES_NAMING_UPLOADS:
            used |= _names(read_json(folder / name))
    sweeps = root / "sweeps"
    for spec in sweeps.glob("*/sweep.json") if sweeps.is_dir() else ():
        used |= _names(read_json(spec))
    return used


class Housekeeping:
    """The cleanup sweep of one app: its downloads, its upload area and their ages."""

    def __init__(self, downloads: Downloads, root: Path, uploads: Path, upload_days: float,
                 period: float = PERIOD) -> None:
        self.downloads, self.root, self.uploads = downloads, root, uploads
        self.upload_seconds = float(upload_days) * 86400
        self.period = min(period, max(1.0, downloads.minutes * 60 / 3))
        self.sweeps = 0

    def sweep(self) -> dict[str, int]:
        """One pass: expired downloads always, expired unused uploads every ``UPLOADS_EVERY`` passes."""
        removed = {"downloads": self.downloads.expire(), "uploads": 0}
        if self.sweeps % UPLOADS_EVERY == 0:
            removed["uploads"] = len(self.expire_uploads())
        self.sweeps += 1
        return removed

    def expire_uploads(self) -> list[str]:
        """Delete uploads older than the upload age that nothing uses; their ids."""
        return expire_uploads(self.uploads, self.upload_seconds, keep=used_uploads(self.root))

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:  # noqa: BLE001 - a full disk or a vanished folder: log it, try again next time
                log.exception("TuneScope's cleanup sweep failed; it runs again in %.0f s", self.period)
            await asyncio.sleep(self.period)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:  # noqa: ARG002 - Gradio passes its app
        """Run the sweep while the app serves (a FastAPI lifespan); when it stops, its downloads go too."""
        task = asyncio.create_task(self._loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.downloads.clear()
