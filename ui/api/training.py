"""Training: a run's configuration from uploads and settings, starting the run, controlling and watching it.

The public endpoints ``/start_training``, ``/stop_training``, ``/resume_training``, ``/retry_smaller_batch``
and ``/training_status``, and what the Train tab's buttons and timer call: :meth:`Training.form_config`
(the form's values for the session's data), :meth:`Training.launch`, :meth:`Training.watch` (status, the
events so far, parsed once and shared by every page: ``ui.api.live``, and the log). Clients name data by
upload id, the base model by model reference and runs by run id, and only what the caller may see
(``ui.api.context``); starting and controlling runs is refused to read-only sessions, controlling a run to
accounts other than its owner (and admins), and a start or resume beyond the account's or the app's limit of
runs waiting or training (``ui.api.quotas``). A new run records the account that started it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from core import job, runs
from core.cli.settings import train_command
from core.config import DataSettings, RunConfig, TrainSettings
from core.data import Columns
from core.runs.card import class_weights_text
from core.settings import from_values
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.live import log_tail, view_for
from ui.api.session import DEFAULT
from ui.api.settings import form_settings


def run_outcome(run_dir: str | Path) -> dict[str, Any]:
    """What a run's status line tells beyond its state: final metrics, the settings the child resolved
    (``config.json``'s ``resolved``) and its class weights as text."""
    paths = runs.RunPaths(Path(run_dir))
    config = runs.read_json(paths.config, {}) or {}
    resolved = config.get("resolved") or {}
    weights = {key: class_weights_text(resolved[key]) for key in ("class_weights", "positive_weights")
               if resolved.get(key)}
    return {"metrics": runs.read_json(paths.metrics), "resolved": resolved, "weights": weights}


class Training:
    """Starting, controlling and watching runs, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def run_config(self, upload: str, base_model: str, train: TrainSettings, columns: Columns,
                   val_upload: str | None = None, val_fraction: float | None = None) -> RunConfig:
        """The configuration a new run will train with (nothing is written yet)."""
        context = self.context
        data = DataSettings(train_file=str(context.upload_path(upload)), **columns.to_dict(),
                            val_file=str(context.upload_path(val_upload)) if val_upload else None)
        if val_fraction is not None:
            data.val_fraction = float(val_fraction)
        config = RunConfig(model=context.source(base_model), data=data, train=train)
        config.apply_model_defaults()  # the embedded decoder: LoRA adapters, as the CLI
        return config

    def form_config(self, data_choice: Any, base: str | None, raw: dict[str, Any], val_path: str | None = None,
                    text_path: str | None = None) -> RunConfig:
        """The run configuration the Train form describes (``raw``: {setting name: value}) for the session's data
        and ``base`` model: what *Start training* launches and what a sweep searches around. The validation and
        pre-training files the browser sent are stored as uploads first (clients never name server paths)."""
        data = self.context.valid_data(data_choice)
        if not data:
            raise gr.Error("No data yet: upload a labelled file in the Data tab (or use the sample).")
        data_values, train = form_settings(raw)
        val_upload = self.context.store_upload(val_path) if val_path else None
        if text_path:
            train.pretrain_file = self.pretrain_path(self.context.store_upload(text_path))
        return self.run_config(data["upload"], base or DEFAULT, train, Columns.from_dict(data), val_upload, data_values.get("val_fraction"))

    def pretrain_path(self, upload: str | None) -> str | None:
        """The server path of an uploaded pre-training text (None without one)."""
        return str(self.context.upload_path(upload)) if upload else None

    def launch(self, config: RunConfig, request: Any = None) -> dict[str, Any]:
        """Create the run folder as the caller's and start its training process (within the run limits)."""
        self.context.require_change(request)
        caller = self.context.caller(request)
        with self.context.quotas.run_slot(caller):
            folder = job.create_run(config, root=self.context.places.root, owner=caller.owner)
        runs.start_run(folder)
        return {"run_id": folder.name, "command": self.context.shown(train_command(runs.load_config(folder)), request)}

    @friendly_errors
    def start_training(self, upload: str, base_model: str = "default", settings: dict[str, Any] | None = None,
                       text_column: str | None = None, label_column: str | None = None,
                       text_pair_column: str | None = None, val_upload: str | None = None,
                       multi_label: str = "auto", pretrain_upload: str | None = None,
                       request: gr.Request = None) -> dict[str, Any]:
        """Fine-tune ``base_model`` on an uploaded file; ``settings`` by name (see ``python -m core train -h``).

        ``multi_label`` ('auto', 'yes', 'no') overrides the detection of several labels per row;
        ``pretrain_upload`` is the upload id of unlabelled text for ``settings={"pretrain": "file"}``."""
        self.context.require_change(request)
        settings = dict(settings or {})
        val_fraction = settings.pop("val_fraction", None)
        if "pretrain_file" in settings:  # a server path: clients name uploads by id
            raise gr.Error("Give the pre-training text as pretrain_upload (an upload id), not as a path in settings.")
        train = from_values(TrainSettings, settings)
        train.pretrain_file = self.pretrain_path(pretrain_upload)
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column, "multi_label": multi_label})
        return self.launch(self.run_config(upload, base_model, train, columns, val_upload, val_fraction), request)

    @friendly_errors
    def stop_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Ask a run to stop (it saves a usable model first); a run that already ended is left as it is."""
        return runs.request_stop(self.context.own_run(run_id, request))

    @friendly_errors
    def resume_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Continue a stopped, failed or interrupted run from its last checkpoint."""
        folder = self.context.own_run(run_id, request)
        with self.context.quotas.run_slot(self.context.caller(request)):
            runs.resume_run(folder)
        return runs.read_status(folder)

    @friendly_errors
    def retry_smaller_batch(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """After out-of-memory: halve the batch, double the accumulation, train again."""
        folder = self.context.own_run(run_id, request)
        with self.context.quotas.run_slot(self.context.caller(request)):
            runs.retry_smaller_batch(folder)
        return runs.read_status(folder)

    @friendly_errors
    def training_status(self, run_id: str) -> dict[str, Any]:
        """A run's status, final metrics and its last events (for scripts polling the app)."""
        folder = self.context.run_dir(run_id)
        events = runs.read_events(folder)
        return {"run_id": run_id, "status": runs.read_status(folder),
                "metrics": runs.read_json(runs.RunPaths(folder).metrics), "events": len(events),
                "last_events": events[-5:]}

    @friendly_errors
    def command(self, run_id: str) -> str:
        """The equivalent ``python -m core train`` command of a run's configuration (its paths for the admin only)."""
        return self.context.shown(train_command(runs.load_config(self.context.run_dir(run_id))))

    def watch(self, run_id: str) -> dict[str, Any]:
        """What the Train tab shows of a run on each tick: its folder and status, the events so far (parsed
        once and shared by every page watching it), whether it is active and has a model, and its log's tail."""
        folder = self.context.run_dir(run_id)
        status = runs.read_status(folder)
        events = view_for(str(folder)).refresh()
        return {"folder": folder, "status": status, "events": events, "active": status.get("state") in runs.ACTIVE_STATES,
                "has_model": (runs.RunPaths(folder).model / "config.json").exists(),
                "log": self.context.shown(log_tail(folder))}

    def restore_run(self, run_id: str | None) -> str | None:
        """On page load: the session's run while it still exists, else the newest active run the caller may see,
        else None."""
        try:
            return run_id if run_id and self.context.run_dir(run_id) else self.latest_active()
        except runs.RunError:
            return self.latest_active()

    def latest_active(self) -> str | None:
        """The newest run that is queued, running or stopping among those the caller may see."""
        caller = self.context.caller()
        for run in runs.list_runs(self.context.places.root):
            if run["state"] in runs.ACTIVE_STATES:
                sharing = runs.read_sharing(run["run_dir"])
                if caller.may_see(sharing["owner"], sharing["shared"]):
                    return run["run_id"]
        return None
