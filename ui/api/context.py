"""What every operation runs over: this app's places, its access rules, and who sent a request.

One :class:`Context` per app (``ui.api.endpoints.Api`` makes it); each concern of ``ui.api`` (models,
data, training, runs, ...) is a small class over it. :meth:`Context.caller` names who sent a request
(the ``gr.Request`` of a UI event or an API call) and whether they may change runs; ``require_change``
refuses read-only sessions in one sentence. Runs are named by run id, uploads by upload id and models by
model reference (``ui.api.session``): the context turns them into server paths and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from core.data.uploads import upload_path
from core.inference import load_for_inference
from core.runs import run_folder
from ui.api.access import READ_ONLY_MESSAGE, Access, Caller
from ui.api.session import ModelRef, Places


@dataclass(frozen=True)
class Context:
    """One app's runs folder, upload area and offered model folders, and its accounts and read-only rule."""

    places: Places
    access: Access = field(default_factory=Access)

    def caller(self, request: Any = None) -> Caller:
        """Who sent ``request`` (a ``gr.Request``; None outside a request) and what they may do."""
        return self.access.caller(request)

    def require_change(self, request: Any = None) -> None:
        """Refuse training and run control to read-only sessions (viewer accounts, ``--read-only``)."""
        if not self.caller(request).may_change:
            raise gr.Error(READ_ONLY_MESSAGE, print_exception=False)

    def run_dir(self, run_id: str) -> Path:
        """The folder of a run id inside the runs folder; a RunError for anything else."""
        return run_folder(run_id, self.places.root)

    def upload_path(self, upload: str) -> Path:
        """The stored file of an upload id; a DataError for anything else."""
        return upload_path(upload, self.places.uploads)

    def source(self, model: str | None) -> ModelRef:
        """A client's model reference checked against what this app offers, in the form core loads."""
        return self.places.model(model)

    def load(self, model: str | None) -> Any:
        """The loaded model for a model reference (cached and shared, never changed)."""
        return load_for_inference(self.places.model(model))
