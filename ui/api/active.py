"""Active learning (``/next_rows``, ``/labelling_session``, ``/label_row``, ``/skip_row``, ``/undo_label``,
``/new_labels_file``, ``/retrain_labelled``): which unlabelled rows to label next, labelling them, retraining.

A ranking runs a finished run's model over a pool (an upload id the caller owns, or none for the rows of the run's
training file without a label), in the bounded heavy pool, stopping after ``SECONDS`` or when its page closes, and
keeps the ranked batch as a labelling session in the run folder (``core.active.session``), owned by the caller's
account. Sessions are named by id; only their owner (or an admin) reads or answers them, and a session of another
account reads like one that does not exist. Ranking, labelling and retraining change files, so read-only sessions
are refused (``Context.require_change``); a retrain holds a run slot and goes through the app's queue, like
``/retrain_fixed``. Leaves out the ranking itself (``core.active``) and the panel (``ui.tabs.data.active_panel``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from core import runs
from core.active import (
    give_label,
    labels_frame,
    load_session,
    new_session,
    next_row,
    rank_pool,
    read_pool,
    retrain_with_labels,
    skip_row,
    training_pool,
    undo,
)
from core.active.rank import MAX_BATCH
from core.active.session import NO_SESSION, counts
from core.errors import DataError
from core.inference.csvfile import escape_frame, write_csv
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import give_back_memory, guard
from ui.api.quotas import asked_devices
from ui.api.training import enqueue

SECONDS = 600.0  # a large pool is one pass of the model over every row
Progress = Callable[[int, int], Any]


class Active:
    """Ranking a pool and labelling sessions, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def rank(self, run_id: str, pool_upload: str | None = None, batch: int = 20, method: str = "margin",
             diversity: bool = True, text_column: str | None = None, progress: Progress | None = None,
             request: Any = None) -> dict[str, Any]:
        """Rank the pool for the run and keep the batch as a new session of the caller (the panel's Rank)."""
        self.context.require_change(request)
        if not 1 <= int(batch or 0) <= MAX_BATCH:
            raise gr.Error(f"The batch is 1 to {MAX_BATCH} rows (got {batch}).")
        folder = self.context.run_dir(run_id, request)
        config = runs.load_config(folder)
        pool = (read_pool(self.context.upload_path(pool_upload, request), config, text_column or None) if pool_upload
                else training_pool(config))
        check = guard(SECONDS)

        def report(done: int, total: int) -> None:
            check()
            if progress is not None:
                progress(done, total)

        with self.context.quotas.heavy(self.context.caller(request)):
            try:
                table = rank_pool(folder, pool, batch=int(batch), method=method, diverse=bool(diversity),
                                  progress=report)
            finally:
                give_back_memory()
        labels = [c.removeprefix("p:") for c in table.columns if c.startswith("p:")]
        session = new_session(folder, table, pool, labels, isinstance(table["guess"].iloc[0], list),
                              owner=self.context.caller(request).owner, upload=pool_upload)
        return self.view(run_id, session, request)

    def _session(self, run_id: str, session: str, request: Any) -> tuple[Any, dict[str, Any]]:
        folder = self.context.run_dir(run_id, request)
        record = load_session(folder, session)
        if not self.context.caller(request).owns(record.get("owner")):
            raise DataError(NO_SESSION.format(id=str(session)[:40]))
        return folder, record

    def view(self, run_id: str, session: str, request: Any = None) -> dict[str, Any]:
        """What a session shows: its labels, counts, the next row to label and the answers so far."""
        _, record = self._session(run_id, session, request)
        done = {int(e["row"]): e for e in record["history"]}
        return {"run_id": run_id, "session": record["session"], "labels": record["labels"],
                "multi_label": record["multi_label"], "counts": counts(record), "next": next_row(record),
                "cold_start": bool(record.get("cold_start")),
                "rows": [{**item, "answer": done.get(item["row"], {}).get("label"),
                          "skipped": done.get(item["row"], {}).get("action") == "skip"} for item in record["items"]],
                "can_undo": bool(record["history"])}

    @friendly_errors
    def next_rows(self, run_id: str, pool_upload: str | None = None, batch: int = 20, method: str = "margin",
                  diversity: bool = True, text_column: str | None = None, request: gr.Request = None) -> dict[str, Any]:
        """Rank unlabelled texts by how much a label would teach a finished run, and start a labelling session."""
        return self.rank(run_id, pool_upload, batch, method, diversity, text_column, request=request)

    @friendly_errors
    def labelling_session(self, run_id: str, session: str, request: gr.Request = None) -> dict[str, Any]:
        """A labelling session as it stands: counts, the next row to label, every row with its answer."""
        return self.view(run_id, session, request)

    @friendly_errors
    def label_row(self, run_id: str, session: str, row: int, label: str | list[str],
                  request: gr.Request = None) -> dict[str, Any]:
        """Give a row of the session its label (saved at once); the session as it then stands."""
        self.context.require_change(request)
        folder, _ = self._session(run_id, session, request)
        give_label(folder, session, int(row), label)
        return self.view(run_id, session, request)

    @friendly_errors
    def skip_row(self, run_id: str, session: str, row: int, request: gr.Request = None) -> dict[str, Any]:
        """Skip a row of the session (it gets no label); the session as it then stands."""
        self.context.require_change(request)
        folder, _ = self._session(run_id, session, request)
        skip_row(folder, session, int(row))
        return self.view(run_id, session, request)

    @friendly_errors
    def undo_label(self, run_id: str, session: str, request: gr.Request = None) -> dict[str, Any]:
        """Take back the session's last label or skip; the session as it then stands."""
        self.context.require_change(request)
        folder, _ = self._session(run_id, session, request)
        undo(folder, session)
        return self.view(run_id, session, request)

    def labels_csv(self, run_id: str, session: str, request: Any = None) -> str:
        """The session's new labels as a CSV in the caller's download area (formula-like cells escaped)."""
        _, record = self._session(run_id, session, request)
        frame = labels_frame(record)
        if len(frame) == 0:
            raise gr.Error("No row of this session has a label yet: label some rows first.")
        with self.context.download(f"{run_id[:60]}-new-labels.csv", request, heavy=False) as path:
            write_csv(escape_frame(frame), path)
        return str(path)

    @friendly_errors
    def new_labels_file(self, run_id: str, session: str, request: gr.Request = None) -> FileData:
        """The session's new labels (row, text, label) as a CSV file to download (once)."""
        return self.context.downloads.answer(self.labels_csv(run_id, session, request))

    @friendly_errors
    def retrain_labelled(self, run_id: str, session: str, request: gr.Request = None) -> dict[str, Any]:
        """Start a new run with the run's settings on its training rows plus the session's labelled rows; returns
        the new run's id (it records the added rows in data_added.json)."""
        self.context.require_change(request)
        folder, _ = self._session(run_id, session, request)
        caller = self.context.caller(request)
        with self.context.quotas.run_slot(caller, asked_devices(folder)):  # the new run keeps its settings
            new_id = retrain_with_labels(folder, session, runs_root=self.context.places.root,
                                         uploads=self.context.places.uploads, start=False, owner=caller.owner)
        enqueue(self.context, self.context.run_dir(new_id, request), request)
        return {"run_id": new_id, "added": counts(self._session(run_id, session, request)[1])["labelled"]}
