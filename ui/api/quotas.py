"""What one account may hold of the shared server at once: runs waiting or training, heavy jobs, disk.

The limits are declared once, in :class:`Limits` (each field: its default, ``app.py`` flag and what it bounds); ``app.py``
makes its flags from it (:func:`add_flags`, :func:`from_args`) and the README lists the same defaults. A
:class:`Quotas` object checks them for one app:

- runs: a start is refused when the account already has ``runs_per_account`` runs created, queued or
  training, or the app ``runs_total`` (every account, and runs made without accounts, together); the check
  and the new run's creation hold a slot together (:meth:`Quotas.run_slot`), so concurrent starts cannot
  all pass it at once (for the instant between a new run's folder appearing and its slot's release it counts
  twice: a refusal then errs on the safe side). Without accounts the one user is one account.
- devices: with accounts, the devices an account's active runs ask for (``gpus``, 1 per run unless data
  parallel) plus the new run's stay within ``devices_per_account``, so one colleague cannot hold every GPU;
- heavy jobs (reports, exports, attributions): at most ``heavy_per_account`` at once per account, with
  accounts (without them, the app's shared pool of heavy work, ``ui.api.limits.HEAVY``, bounds them);
- disk: an account's uploads and waiting downloads together stay under ``disk_mb_per_account``.

``upload_days`` and ``download_minutes`` are the ages after which the cleanup sweep deletes unused uploads
and downloads nobody fetched (``ui.api.housekeeping``). Every refusal is one sentence saying what to do.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from core import runs
from core.data.uploads import list_uploads
from ui.api.access import LIMITS, Caller, Limits

CREATED_HOLDS = 600.0  # seconds a run 'created' but never started still holds its account's slot


def _refuse(message: str) -> gr.Error:
    return gr.Error(message, print_exception=False)


def asked_devices(folder: Path) -> int:
    """The devices a run asks for at once: its ``gpus`` setting (1 when absent or unreadable)."""
    config = runs.read_json(runs.RunPaths(folder).config, {})
    train = config.get("train") if isinstance(config, dict) else None
    gpus = train.get("gpus") if isinstance(train, dict) else None
    return gpus if isinstance(gpus, int) and not isinstance(gpus, bool) and gpus > 1 else 1


def check_devices(held: int, asked: int, limit: int) -> None:
    """Refuse, in one sentence, a run whose devices would take its account past ``limit`` at once."""
    if asked > limit:
        raise _refuse(f"One account may use at most {limit} devices at once, and this run asks for {asked}: ask "
                      "for fewer (Devices at once).")
    if held + asked > limit:
        raise _refuse(f"Your account's runs already ask for {held} of the {limit} devices one account may use at "
                      f"once, and this run asks for {asked}: wait for one to finish, or stop one, then start again.")


class Quotas:
    """The limits of one app, checked against its runs folder, its uploads and its downloads."""

    def __init__(self, limits: Limits, root: Path, uploads: Path, downloads_usage: Callable[[str | None], int]
                 ) -> None:
        self.limits, self.root, self.uploads = limits, root, uploads
        self.downloads_usage = downloads_usage
        self._lock = threading.Lock()
        self._starting: Counter[str | None] = Counter()
        self._starting_devices: Counter[str | None] = Counter()
        self._heavy: Counter[str] = Counter()

    def active_owners(self) -> list[str | None]:
        """The owner of every run that holds a slot: created recently, queued, running or stopping."""
        return [owner for owner, _ in self.active_runs()]

    def active_runs(self) -> list[tuple[str | None, int]]:
        """(owner, devices asked for) of every run that holds a slot: created recently, queued, running or
        stopping."""
        found = []
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            if folder.name.startswith(".") or not (folder / "status.json").exists():
                continue
            try:
                status = runs.read_status(folder)
            except (runs.RunError, OSError, ValueError, TypeError, AttributeError):
                continue
            state, updated = status.get("state"), status.get("updated")
            fresh = isinstance(updated, int | float) and time.time() - updated < CREATED_HOLDS
            if state in runs.ACTIVE_STATES or (state == "created" and fresh):
                found.append((runs.read_sharing(folder)["owner"], asked_devices(folder)))
        return found

    @contextlib.contextmanager
    def run_slot(self, caller: Caller, devices: int = 1) -> Iterator[None]:
        """Hold a slot for one new run (asking for ``devices`` at once) while it is created; refused in one sentence
        when a limit is reached."""
        owner, limits, asked = caller.owner, self.limits, max(1, int(devices))
        with self._lock:
            active = self.active_runs()
            mine = sum(1 for who, _ in active if who == owner) + self._starting[owner]
            if caller.accounts and mine >= limits.runs_per_account:  # one user without accounts: the total only
                raise _refuse(f"Your account already has as many runs waiting or training as one account may have "
                              f"({limits.runs_per_account}): wait for one to finish, or stop one, then start again.")
            if len(active) + sum(self._starting.values()) >= limits.runs_total:
                raise _refuse(f"The server already has {limits.runs_total} runs waiting or training, the most it "
                              "takes: start again when one of them has finished.")
            held = sum(n for who, n in active if who == owner) + self._starting_devices[owner]
            if caller.accounts:
                check_devices(held, asked, limits.devices_per_account)
            self._starting[owner] += 1
            self._starting_devices[owner] += asked
        try:
            yield
        finally:
            with self._lock:
                self._starting[owner] -= 1
                self._starting_devices[owner] -= asked

    @contextlib.contextmanager
    def heavy(self, caller: Caller) -> Iterator[None]:
        """Count one heavy job (report, export, attributions) of an account while it runs."""
        if not (caller.accounts and caller.user):
            yield
            return
        with self._lock:
            if self._heavy[caller.user] >= self.limits.heavy_per_account:
                raise _refuse(f"You already have as many reports, exports or attributions running as one account may "
                              f"run at once ({self.limits.heavy_per_account}): wait for one to finish, then try again.")
            self._heavy[caller.user] += 1
        try:
            yield
        finally:
            with self._lock:
                self._heavy[caller.user] -= 1

    def disk_used(self, owner: str | None) -> int:
        """Bytes of ``owner``'s uploads and waiting downloads."""
        stored = sum(int(r.get("bytes") or 0) for _, r in list_uploads(self.uploads) if r.get("owner") == owner)
        return stored + self.downloads_usage(owner)

    def check_disk(self, caller: Caller, adding: int = 0) -> None:
        """Refuse, in one sentence, what would take the account over its disk limit."""
        limit = self.limits.disk_mb_per_account * 1_000_000
        used = self.disk_used(caller.owner)
        if used + adding > limit:
            raise _refuse(f"Your uploads and downloads use {used / 1e6:,.0f} MB of the {limit / 1e6:,.0f} MB one "
                          f"account may keep{f', and this needs {adding / 1e6:,.0f} MB more' if adding else ''}: "
                          f"download or wait for your files (downloads are deleted after "
                          f"{self.limits.download_minutes:g} minutes, uploads no run uses after "
                          f"{self.limits.upload_days:g} days).")

    def describe(self) -> dict[str, Any]:
        return {limit.name: getattr(self.limits, limit.name) for limit in LIMITS}
