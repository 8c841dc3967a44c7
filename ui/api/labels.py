"""Suspect labels (``/suspects``, ``/retrain_fixed``): a run's training rows whose label is probably wrong,
and a new run on the corrected rows.

Runs are named by run id (one the caller may see); the corrected training data is written to the app's
upload area under a server-issued id and the new run into the app's runs folder, both the caller's, within
the account's run limits. Finding suspects runs the run's model over its
training rows once (then it is cached in the run folder), so it shares the bounded 'heavy' pool and stops
after ``SECONDS`` or when its page closes. :func:`chosen_changes` reads the suspect-labels panel's ticked
table. Leaves out the scoring and the files (``core.labels``) and the panel (``ui.tabs.data.suspects_panel``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from core import runs
from core.labels import find_suspects, retrain
from core.labels.fixes import top_changes
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import give_back_memory, guard
from ui.api.quotas import asked_devices
from ui.api.training import enqueue

MAX_TOP = 500  # suspect rows one request returns at most
SECONDS = 600.0  # the first request of a large run scores every training row once
ACTIONS = ["drop", "relabel"]  # the panel's two checkbox columns


def chosen_changes(table: pd.DataFrame | None) -> tuple[list[int], dict[str, str]]:
    """The rows to drop and the rows to relabel (to their suggestion) from the panel's edited table.

    Multi-label tables list a row once per label: the ticked flips of one row are applied together.
    """
    if table is None or len(table) == 0 or "row" not in table.columns:
        return [], {}
    table = table.reset_index(drop=True)
    table["row"] = pd.to_numeric(table["row"]).astype(int)
    relabelled, dropped = _ticked(table["relabel"]), _ticked(table["drop"])
    relabel_lines, drop_lines = table[relabelled], table[dropped & ~relabelled]
    _, relabel = top_changes(relabel_lines.drop(columns=ACTIONS), 0, len(relabel_lines))
    drop = sorted({int(r) for r in drop_lines["row"]} - set(relabel))
    return drop, {str(row): label for row, label in relabel.items()}


def _ticked(column: pd.Series) -> pd.Series:
    """A checkbox column as booleans (the browser may send true/false as text)."""
    return column.map(lambda value: value is True or str(value).strip().lower() in ("true", "1"))


class Labels:
    """Suspect-label operations, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def suspect_table(self, run_id: str, top: int = 50) -> Any:
        """The ``top`` most suspect training rows of a run as a DataFrame (``core.labels.find_suspects``)."""
        top = int(top or 0)
        if not 1 <= top <= MAX_TOP:
            raise gr.Error(f"top must be between 1 and {MAX_TOP} rows (got {top}).")
        check = guard(SECONDS)
        try:
            return find_suspects(self.context.run_dir(run_id), top=top, progress=lambda done, total: check())
        finally:
            give_back_memory()

    @friendly_errors
    def suspects(self, run_id: str, top: int = 50) -> list[dict[str, Any]]:
        """A finished or stopped run's training rows whose label is probably wrong, most suspect first:
        ``[{"row", "text", ("text_pair"), ("label", "issue" for multi-label), "given", "suggested", "confidence",
        "score"}]``."""
        return self.suspect_table(run_id, top).to_dict("records")

    @friendly_errors
    def retrain_fixed(self, run_id: str, drop: list[int] | None = None, relabel: dict[str, str] | None = None,
                      request: gr.Request = None) -> dict[str, Any]:
        """Start a new run with the run's settings on its training rows without ``drop`` and with ``relabel``
        ({row: new label}; multi-label: ``"a;b"``); returns the new run's id and what changed."""
        self.context.require_change(request)
        folder, caller = self.context.run_dir(run_id, request), self.context.caller(request)
        with self.context.quotas.run_slot(caller, asked_devices(folder)):  # the new run keeps its settings
            new_id = retrain(folder, list(drop or []), dict(relabel or {}), runs_root=self.context.places.root,
                             uploads=self.context.places.uploads, start=False, owner=caller.owner)
        enqueue(self.context, self.context.run_dir(new_id, request), request)  # through the queue, like every start
        changes = runs.read_json(self.context.run_dir(new_id, request) / "data_changes.json", {})
        return {"run_id": new_id, "train_upload": changes.get("train_file"), "changes": changes}
