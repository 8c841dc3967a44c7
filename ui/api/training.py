"""Training: a run's configuration from uploads and settings, starting the run, controlling and watching it.

The public endpoints ``/start_training``, ``/stop_training``, ``/resume_training``, ``/retry_smaller_batch``
and ``/training_status``, and what the Train tab's buttons and timer call: :meth:`Training.form_config`
(the form's values for the session's data), :meth:`Training.launch`, :meth:`Training.watch` (status, the
events so far, parsed once and shared by every page: ``ui.api.live``, and the log). Clients name data by
upload id, the base model by model reference and runs by run id, and only what the caller may see
(``ui.api.context``); starting and controlling runs is refused to read-only sessions, controlling a run to
accounts other than its owner (and admins), and a start or resume beyond the account's or the app's limit of
runs waiting or training (``ui.api.quotas``). A new run records the account that started it.

Start, resume and retry put the run in the runs folder's queue (``core.runs.queue``): its process starts when
its device is free, by this app's scheduler (``core.runs.scheduler``: a thread, and a tick on every status poll)
on the devices the admin chose (``app.py --devices``). A waiting run's status carries its place, the run ahead
and an estimated start (``queue``, and the one sentence as its ``message``: ``core.runs.waiting``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from core import job, runs
from core.cli.settings import train_command
from core.config import DataSettings, RunConfig, TrainSettings
from core.data import Columns
from core.runs import scheduler
from core.runs.card import class_weights_text
from core.runs.jobs import on_cluster
from core.runs.progress import run_progress
from core.runs.queue import queue_run, waiting_runs
from core.runs.slots import app_devices, check_device, slots_for
from core.runs.waiting import queue_info, queue_sentence
from core.settings import from_values
from core.training.length import planned_steps
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


def viewer_of(context: Context, request: Any = None) -> tuple[str | None, bool]:
    """Who looks at a queue (their account name; None without accounts) and whether they are an admin. With
    accounts, a call that names no account ('') sees no owner's name."""
    caller = context.caller(request)
    user = caller.user if caller.user is not None or not context.access.accounts else ""
    return user, bool(getattr(caller, "is_admin", False) or getattr(caller, "role", None) == "admin")


def enqueue(context: Context, folder: Path, request: Any = None, resume: bool = False) -> None:
    """Put a run in this app's queue (owned by the caller's account) and start it at once when its device is free."""
    queue_run(folder, resume=resume, owner=context.caller(request).owner)
    scheduler.tick(context.places.root, scheduler.served(context.places.root) or app_devices())


class Training:
    """Starting, controlling and watching runs, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.slots = app_devices()  # the devices the admin lets this app train on
        if not context.access.read_only:  # a read-only app starts nothing
            scheduler.serve(context.places.root, self.slots)

    def schedule(self) -> None:
        """Move the queue now (each status poll does, so it moves even without the scheduler thread)."""
        if not self.context.access.read_only:
            scheduler.poll(self.context.places.root, self.slots)

    def status_of(self, folder: Path, request: Any = None) -> dict[str, Any]:
        """A run's status; a waiting run's carries ``queue`` (place, run ahead, estimated start) and its sentence."""
        status = runs.read_status(folder)
        if status.get("waiting"):
            info = queue_info(folder, self.slots, *viewer_of(self.context, request), steps_of=planned_steps)
            status.update(queue=info, message=queue_sentence(info) or status.get("message"))
        return status

    def queue_text(self, run_id: str, request: Any = None) -> str:
        """A waiting run's one sentence (place, run ahead, estimated start); '' for any other run."""
        status = self.status_of(self.context.run_dir(run_id, request), request)
        return str(status.get("message") or "") if status.get("queue") else ""

    def queue_places(self) -> dict[str, int]:
        """{run id: place in its device's line} for the runs waiting in this app's queue."""
        places: dict[str, int] = {}
        lines: dict[tuple[str, ...], int] = {}
        for folder, entry in waiting_runs(self.context.places.root):
            line = tuple(slots_for(entry.get("device"), self.slots))
            lines[line] = places[folder.name] = lines.get(line, 0) + 1
        return places

    def run_config(self, upload: str, base_model: str, train: TrainSettings, columns: Columns,
                   val_upload: str | None = None, val_fraction: float | None = None,
                   request: Any = None) -> RunConfig:
        """The configuration a new run will train with (nothing is written yet), from uploads ``request``'s
        account may use."""
        context = self.context
        data = DataSettings(train_file=str(context.upload_path(upload, request)), **columns.to_dict(),
                            val_file=str(context.upload_path(val_upload, request)) if val_upload else None)
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

    def pretrain_path(self, upload: str | None, request: Any = None) -> str | None:
        """The server path of an uploaded pre-training text (None without one)."""
        return str(self.context.upload_path(upload, request)) if upload else None

    def launch(self, config: RunConfig, request: Any = None) -> dict[str, Any]:
        """Create the run folder as the caller's and queue it (within the run limits): its training process
        starts when its device is free."""
        self.context.require_change(request)
        if not on_cluster():  # a cluster runner: the cluster's scheduler decides where it trains
            check_device(config.train.device, self.slots, config.train.gpus)
        caller = self.context.caller(request)
        with self.context.quotas.run_slot(caller, config.train.gpus):
            folder = job.create_run(config, root=self.context.places.root, owner=caller.owner)
            enqueue(self.context, folder, request)
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
        train.pretrain_file = self.pretrain_path(pretrain_upload, request)
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column, "multi_label": multi_label})
        config = self.run_config(upload, base_model, train, columns, val_upload, val_fraction, request)
        return self.launch(config, request)

    @friendly_errors
    def stop_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Ask a run to stop (it saves a usable model first); a run that already ended is left as it is."""
        return runs.request_stop(self.context.own_run(run_id, request))

    @friendly_errors
    def resume_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Continue a stopped, failed or interrupted run from its last checkpoint."""
        return self._requeue(run_id, request, runs.resume_run)

    @friendly_errors
    def retry_smaller_batch(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """After out-of-memory: halve the batch, double the accumulation, train again."""
        return self._requeue(run_id, request, runs.retry_smaller_batch)

    def _requeue(self, run_id: str, request: Any, again: Any) -> dict[str, Any]:
        """Put the caller's own run back in the queue with ``again`` (resume or retry), within the run limits."""
        self.context.require_change(request)
        folder = self.context.own_run(run_id, request)
        train = runs.load_config(folder).train
        if not on_cluster():
            check_device(train.device, self.slots, train.gpus)
        caller = self.context.caller(request)
        with self.context.quotas.run_slot(caller, train.gpus):
            again(folder, queued=True, owner=caller.owner)
        self.schedule()
        return self.status_of(folder, request)

    @friendly_errors
    def training_status(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """A run's status, its numbers (``progress``: phase, step, training time, time left, samples/s; the same
        the Train and Runs tabs and ``python -m core runs show`` give), final metrics and its last events (for
        scripts polling the app); a run waiting in the queue has ``status.queue``: its place (1 = next), the run
        ahead and its progress, the estimated start."""
        folder = self.context.run_dir(run_id, request)
        self.schedule()
        events = runs.read_events(folder)
        status = self.status_of(folder, request)
        return {"run_id": run_id, "status": status, "progress": run_progress(folder, status),
                "metrics": runs.read_json(runs.RunPaths(folder).metrics), "events": len(events),
                "last_events": events[-5:]}

    @friendly_errors
    def command(self, run_id: str) -> str:
        """The equivalent ``python -m core train`` command of a run's configuration (its paths for the admin only)."""
        return self.context.shown(train_command(runs.load_config(self.context.run_dir(run_id))))

    def watch(self, run_id: str, request: Any = None) -> dict[str, Any]:
        """What the Train tab shows of a run on each tick: its folder and status (a waiting run's place in the
        queue), the events so far (parsed once and shared by every page watching it), its numbers
        (``core.runs.progress``), whether it is active and has a model, and the readable tail of its log."""
        folder = self.context.run_dir(run_id, request)
        self.schedule()
        status = self.status_of(folder, request)
        events = view_for(str(folder)).refresh()
        return {"folder": folder, "status": status, "events": events, "progress": run_progress(folder, status),
                "active": status.get("state") in runs.ACTIVE_STATES,
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
