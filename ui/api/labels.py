"""Suspect-label actions (``/suspects``, ``/retrain_fixed``) as plain functions with named parameters.

Mixed into ``ui.actions.Actions`` and published as API endpoints there. Runs are named by run id; the
corrected training data is written to the app's upload area under a server-issued id and the new run
into the app's runs folder. Finding suspects runs the run's model over its training rows once (then it
is cached in the run folder), so it shares the bounded 'heavy' pool and stops after ``SECONDS`` or when
its page closes. Leaves out the scoring and the files (``core.labels``) and the panel (``ui.suspects_view``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.common import friendly_errors
from ui.limits import give_back_memory, guard

MAX_TOP = 500  # suspect rows one request returns at most
SECONDS = 600.0  # the first request of a large run scores every training row once


class LabelActions:
    """Expects ``self.places``, ``self.run_dir`` and ``self.require_change`` (``ui.actions.Actions``)."""

    def suspect_table(self, run_id: str, top: int = 50) -> Any:
        """The ``top`` most suspect training rows of a run as a DataFrame (``core.labels.find_suspects``)."""
        from core.labels import find_suspects

        top = int(top or 0)
        if not 1 <= top <= MAX_TOP:
            raise gr.Error(f"top must be between 1 and {MAX_TOP} rows (got {top}).")
        check = guard(SECONDS)
        try:
            return find_suspects(self.run_dir(run_id), top=top, progress=lambda done, total: check())
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
        from core import runs
        from core.labels import retrain

        self.require_change(request)
        new_id = retrain(self.run_dir(run_id), list(drop or []), dict(relabel or {}), runs_root=self.places.root,
                         uploads=self.places.uploads)
        changes = runs.read_json(self.run_dir(new_id) / "data_changes.json", {})
        return {"run_id": new_id, "train_upload": changes.get("train_file"), "changes": changes}
