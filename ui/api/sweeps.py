"""Sweeps (``/sweep_start``, ``/sweep_status``, ``/sweep_stop``): hyper-parameter searches, started from
uploads and settings or from the Train form, watched and stopped.

Clients name data by upload id, the base model by model reference and sweeps by sweep id; they cannot
choose the study's storage (always the SQLite file in the sweep folder: a database URL from a client
could reach any server), and the budget is bounded (at most ``MAX_TRIALS`` trials or ``MAX_MINUTES``).
Starting and stopping are refused to read-only sessions, as training is; a sweep is its starter's (its trials
are that account's runs), seen and stopped only by it and admins, and a start is refused while the account is
at its limit of runs. Leaves out: the search itself (``core.sweep``) and the panel (``ui.tabs.train.sweep_panel``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core import sweep
from core.config import RunConfig, TrainSettings
from core.data import Columns
from core.settings import from_values
from core.sweep import DEFAULT_SPACE, SEARCHABLE
from core.sweep.folder import ACTIVE
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.training import Training

MAX_TRIALS = 100
MAX_MINUTES = 24 * 60
MAX_SPACE_CHARS = 1000
HIDDEN = ("storage", "host")  # server facts a client has no use for
# every searchable setting and its default range ("" = not searched unless the user gives one)
RANGES = {name: "" for name in SEARCHABLE} | dict(entry.split("=", 1) for entry in DEFAULT_SPACE.split())


def is_active(status: dict[str, Any]) -> bool:
    """True while a sweep is queued, running or stopping."""
    return status.get("state") in ACTIVE


def _budget(trials: Any, minutes: Any) -> tuple[int | None, float | None]:
    """(trials, seconds) checked against the server's bounds; a ``gr.Error`` in one sentence otherwise."""
    if trials in (None, "", 0) and minutes in (None, "", 0):
        raise gr.Error("Give the sweep a budget: a number of trials or a time in minutes.")
    count = seconds = None
    if trials not in (None, "", 0):
        if not (isinstance(trials, int | float) and float(trials).is_integer() and 1 <= trials <= MAX_TRIALS):
            raise gr.Error(f"The number of trials must be a whole number from 1 to {MAX_TRIALS} (got {trials!r}).")
        count = int(trials)
    if minutes not in (None, "", 0):
        if not (isinstance(minutes, int | float) and 0 < minutes <= MAX_MINUTES):
            raise gr.Error(f"The time budget must be from 1 to {MAX_MINUTES} minutes (got {minutes!r}).")
        seconds = float(minutes) * 60
    return count, seconds


def _space(space: Any) -> Any:
    """The space as the client gave it (text or ``{setting: range}``), size-checked; parsed by core."""
    if space is None or isinstance(space, str):
        text = space or None
    elif isinstance(space, dict) and all(isinstance(k, str) and isinstance(v, str | None) for k, v in space.items()):
        text = " ".join(f"{k}={v}" for k, v in space.items() if (v or "").strip()) or ""
    else:
        raise gr.Error("The search space is text like 'learning_rate=1e-5:3e-4:log epochs=1:4', or "
                       "{setting: range}.")
    if text is not None and len(text) > MAX_SPACE_CHARS:
        raise gr.Error(f"The search space has more than {MAX_SPACE_CHARS} characters: shorten it.")
    if text == "":
        raise gr.Error("The search space is empty: give at least one range, e.g. learning_rate=1e-5:3e-4:log.")
    return text


class Sweeps:
    """Sweep operations, over one app's context; a sweep's base configuration is built as a run's (``training``)."""

    def __init__(self, context: Context, training: Training) -> None:
        self.context = context
        self.training = training

    def launch_sweep(self, config: RunConfig, space: Any, trials: Any, minutes: Any, request: Any = None
                     ) -> dict[str, Any]:
        """Check the budget and space, then start the sweep's driver in the background; its id and space."""
        self.context.require_change(request)
        count, seconds = _budget(trials, minutes)
        caller = self.context.caller(request)
        with self.context.quotas.run_slot(caller, config.train.gpus):  # its trials are the account's runs
            sweep_id = sweep.start_sweep(config, _space(space), count, seconds, root=self.context.places.root,
                                         owner=caller.owner)
        return {"sweep_id": sweep_id, "space": sweep.sweep_status(sweep_id, self.context.places.root)["space"]}

    @friendly_errors
    def sweep_start(self, upload: str, base_model: str = "default", settings: dict[str, Any] | None = None,
                    space: str | dict[str, str] | None = None, trials: int | None = 10, minutes: float | None = None,
                    text_column: str | None = None, label_column: str | None = None,
                    text_pair_column: str | None = None, val_upload: str | None = None,
                    request: gr.Request = None) -> dict[str, Any]:
        """Search hyper-parameters of ``base_model`` on an uploaded file: ``space`` like 'learning_rate=1e-5:3e-4:log
        epochs=1:4' (default: learning rate, epochs, batch size, warm-up, dropout), a budget of ``trials`` or
        ``minutes``; ``settings`` by name for everything not searched. Returns the sweep id."""
        self.context.require_change(request)
        settings = dict(settings or {})
        val_fraction = settings.pop("val_fraction", None)
        train = from_values(TrainSettings, settings)
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column})
        config = self.training.run_config(upload, base_model, train, columns, val_upload, val_fraction)
        return self.launch_sweep(config, space, trials, minutes, request)

    @friendly_errors
    def sweep_status(self, sweep_id: str) -> dict[str, Any]:
        """A sweep's state, its trials (number, state, params, value, run id) and the best trial."""
        status = sweep.sweep_status(self.context.sweep_dir(sweep_id).name, self.context.places.root)
        status = {k: v for k, v in status.items() if k not in HIDDEN}
        status["trials"] = [{k: v for k, v in t.items() if k not in HIDDEN} for t in status["trials"]]
        if status.get("best"):
            status["best"] = {k: v for k, v in status["best"].items() if k not in HIDDEN}
        return status

    @friendly_errors
    def sweep_stop(self, sweep_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Stop a sweep: its running trial saves a model and no new trial starts."""
        folder = self.context.sweep_dir(sweep_id, request, manage=True)
        return sweep.stop_sweep(folder.name, self.context.places.root)

    def list_sweeps(self) -> list[dict[str, Any]]:
        """The caller's sweeps (an admin: every sweep), newest first (id, state, metric, space, budget)."""
        caller = self.context.caller()
        return [{k: v for k, v in s.items() if k != "owner"} for s in sweep.list_sweeps(self.context.places.root)
                if caller.owns(s.get("owner"))]

    def active_sweep(self) -> str | None:
        """The newest sweep still queued, running or stopping (for a page that opens), else None."""
        return next((s["sweep_id"] for s in self.list_sweeps() if is_active(s)), None)
