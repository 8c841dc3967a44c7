"""The app's actions as plain functions with named parameters: what the tabs call, and the public API.

Each action takes ids (upload ids, run ids, model references; see ``ui.session``), calls core, and
returns plain JSON-ready data. :func:`register` publishes them with ``gr.api`` so every UI action is
scriptable with ``gradio_client`` (``client.predict(text, model="run:<id>", api_name="/predict")``).
Core's typed errors become ``gr.Error`` messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from core import job, runs
from core.cli.settings import train_command
from core.config import DataSettings, RunConfig, TrainSettings
from core.data import inspect_file
from core.data.uploads import upload_path
from core.inference import load_for_inference, predict_texts
from core.models import SMOLLM2, describe_model
from core.settings import from_values
from ui.access import READ_ONLY_MESSAGE, Access
from ui.common import friendly_errors
from ui.label_actions import LabelActions
from ui.limits import HEAVY_CONCURRENCY, checked_text, give_back_memory, guard
from ui.run_actions import RunActions
from ui.session import Places, model_name, model_source, valid_ref
from ui.sweep_actions import SweepActions


class Actions(RunActions, SweepActions, LabelActions):
    """Every action, bound to one app's runs folder and access rules."""

    def __init__(self, places: Places, access: Access | None = None) -> None:
        super().__init__()
        self.places = places
        self.access = access or Access()

    def require_change(self, request: Any) -> None:
        """Refuse training and run control to read-only sessions (viewer accounts, ``--read-only``)."""
        if not self.access.may_change(request):
            raise gr.Error(READ_ONLY_MESSAGE, print_exception=False)

    def run_dir(self, run_id: str) -> Path:
        return runs.run_folder(run_id, self.places.root)

    def load(self, model: str | None) -> Any:
        """The loaded model for a model reference (cached and shared, never changed)."""
        return load_for_inference(model_source(model, self.places))

    @friendly_errors
    def load_model(self, model: str = "default") -> dict[str, Any]:
        """Load a model ('default', 'hub:<id>', 'folder:<path>' or 'run:<run id>') and describe it."""
        loaded = self.load(model)
        return {**describe_model(loaded.model, loaded.source), "model": model, "warnings": loaded.warnings}

    @friendly_errors
    def inspect_data(self, upload: str, text_column: str | None = None, label_column: str | None = None,
                     text_pair_column: str | None = None, model: str | None = "default", max_length: int = 128,
                     preview_rows: int = 0, multi_label: str = "auto") -> dict[str, Any]:
        """The health report of an uploaded file (the CLI's ``inspect``); token lengths under ``model``.

        ``multi_label`` ('auto', 'yes', 'no') overrides the multi-label detection; ``label_column`` may name
        several 0/1 label columns separated by commas."""
        path = upload_path(upload, self.places.uploads)
        if not 8 <= int(max_length) <= 8192:
            raise gr.Error(f"max_length must be between 8 and 8192 tokens (got {max_length}).")
        source = model_source(model, self.places) if model else None
        return inspect_file(path, text_column or None, label_column or None, text_pair_column or None,
                            model=source, max_length=int(max_length), preview_rows=preview_rows,
                            multi_label=multi_label or "auto")

    def run_config(self, upload: str, base_model: str, train: TrainSettings, columns: dict[str, Any],
                   val_upload: str | None = None, val_fraction: float | None = None) -> RunConfig:
        """The configuration a new run will train with (nothing is written yet)."""
        data = DataSettings(train_file=str(upload_path(upload, self.places.uploads)),
                            text_column=columns.get("text_column") or None,
                            label_column=columns.get("label_column") or None,
                            text_pair_column=columns.get("text_pair_column") or None,
                            multi_label=columns.get("multi_label") or "auto",
                            val_file=str(upload_path(val_upload, self.places.uploads)) if val_upload else None)
        if val_fraction is not None:
            data.val_fraction = float(val_fraction)
        source = model_source(base_model, self.places)
        if source == SMOLLM2 and not train.lora:
            train.lora = True  # a 135M decoder on a shared server: LoRA adapters, its sensible default (as the CLI)
        return RunConfig(model=source, data=data, train=train)

    def pretrain_path(self, upload: str | None) -> str | None:
        """The server path of an uploaded pre-training text (None without one)."""
        return str(upload_path(upload, self.places.uploads)) if upload else None

    def launch(self, config: RunConfig, request: Any = None) -> dict[str, Any]:
        """Create the run folder and start its training process."""
        self.require_change(request)
        folder = job.create_run(config, root=self.places.root)
        runs.start_run(folder)
        return {"run_id": folder.name, "command": train_command(runs.load_config(folder))}

    @friendly_errors
    def start_training(self, upload: str, base_model: str = "default", settings: dict[str, Any] | None = None,
                       text_column: str | None = None, label_column: str | None = None,
                       text_pair_column: str | None = None, val_upload: str | None = None,
                       multi_label: str = "auto", pretrain_upload: str | None = None,
                       request: gr.Request = None) -> dict[str, Any]:
        """Fine-tune ``base_model`` on an uploaded file; ``settings`` by name (see ``python -m core train -h``).

        ``multi_label`` ('auto', 'yes', 'no') overrides the detection of several labels per row;
        ``pretrain_upload`` is the upload id of unlabelled text for ``settings={"pretrain": "file"}``."""
        self.require_change(request)
        settings = dict(settings or {})
        val_fraction = settings.pop("val_fraction", None)
        if "pretrain_file" in settings:  # a server path: clients name uploads by id
            raise gr.Error("Give the pre-training text as pretrain_upload (an upload id), not as a path in settings.")
        train = from_values(TrainSettings, settings)
        train.pretrain_file = self.pretrain_path(pretrain_upload)
        columns = {"text_column": text_column, "label_column": label_column, "text_pair_column": text_pair_column,
                   "multi_label": multi_label}
        return self.launch(self.run_config(upload, base_model, train, columns, val_upload, val_fraction), request)

    @friendly_errors
    def stop_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Ask a run to stop (it saves a usable model first); a run that already ended is left as it is."""
        self.require_change(request)
        return runs.request_stop(self.run_dir(run_id))

    @friendly_errors
    def resume_training(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Continue a stopped, failed or interrupted run from its last checkpoint."""
        self.require_change(request)
        runs.resume_run(self.run_dir(run_id))
        return runs.read_status(self.run_dir(run_id))

    @friendly_errors
    def retry_smaller_batch(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """After out-of-memory: halve the batch, double the accumulation, train again."""
        self.require_change(request)
        runs.retry_smaller_batch(self.run_dir(run_id))
        return runs.read_status(self.run_dir(run_id))

    @friendly_errors
    def training_status(self, run_id: str) -> dict[str, Any]:
        """A run's status, final metrics and its last events (for scripts polling the app)."""
        folder = self.run_dir(run_id)
        events = runs.read_events(folder)
        return {"run_id": run_id, "status": runs.read_status(folder),
                "metrics": runs.read_json(runs.RunPaths(folder).metrics), "events": len(events),
                "last_events": events[-5:]}

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run in the runs folder, newest first (id, state, model, data, metrics)."""
        return [{k: v for k, v in run.items() if k != "run_dir"} for run in runs.list_runs(self.places.root)]

    @friendly_errors
    def predict(self, text: str, model: str = "default", text_pair: str = "") -> dict[str, Any]:
        """Class probabilities for one text: ``{"label", "confidences": [{"label", "confidence"}]}``; a multi-label
        model adds ``multi_label``, ``labels`` (the chosen ones, maybe none) and ``thresholds`` ({label: threshold})."""
        text, text_pair = checked_text(text), checked_text(text_pair, "second text")
        if not text.strip():
            raise gr.Error("Type a text to classify.")
        loaded = self.load(model)
        result = predict_texts(loaded, [text], [text_pair] if text_pair.strip() else None)[0]
        ranked = sorted(result["scores"].items(), key=lambda item: -item[1])
        out = {"label": result["label"], "confidences": [{"label": k, "confidence": v} for k, v in ranked],
               "model": model_name(model), "warnings": loaded.warnings}
        if loaded.multi_label:
            out.update(multi_label=True, labels=result["labels"], thresholds=result["thresholds"])
        return out

    @friendly_errors
    def attention(self, text: str, model: str = "default", view: str = "Head", layer: int = 0, head: int = 0,
                  text_pair: str = "", threshold: float = 0.0, show_special: bool = True, renormalise: bool = False,
                  target: str | None = None) -> dict[str, Any]:
        """One Attention-tab view as data: ``{"info", "figure" (plotly JSON), "table", "view" (the head or neuron
        view's data for ``core.plots.headview``, else None), "layers", "heads", ...}``."""
        from ui.attention_views import render

        text, text_pair = checked_text(text), checked_text(text_pair, "second text")
        if not text.strip():
            raise gr.Error("Type a text to see its attention.")
        try:
            result = render(model_source(model, self.places), text, text_pair, view, layer, head, threshold,
                            show_special, renormalise, target, should_stop=guard())
        finally:
            give_back_memory()
        out = {k: result[k] for k in ("info", "html", "view", "layers", "heads", "labels", "warnings")}
        out["figure"] = json.loads(result["figure"].to_json())
        out["table"] = result["table"].to_dict("records")
        return out

    @friendly_errors
    def fill(self, text: str, model: str = "default", top: int = 5) -> dict[str, Any]:
        """Top-k tokens for each [MASK] (encoders) or for the next token (decoders), ``core.inference.fill``:
        ``{"mode", "model", "tokens", "positions", "predictions": [[{"token", "probability", ...}]], "warnings"}``."""
        from core.inference.fill import fill

        text = checked_text(text)
        try:
            return fill(model_source(model, self.places), text, int(top))
        finally:
            give_back_memory()

    def usable_ref(self, ref: Any) -> str | None:
        return valid_ref(ref, self.places)


HEAVY = {"concurrency_id": "heavy", "concurrency_limit": HEAVY_CONCURRENCY}


def register(actions: Actions) -> None:
    """Publish the actions as named API endpoints (``/load_model``, ``/start_training``, ...).

    Attention views share the bounded 'heavy' pool with the tabs' heavy events.
    """
    for name in ("load_model", "inspect_data", "start_training", "stop_training", "resume_training",
                 "retry_smaller_batch", "training_status", "list_runs", "predict"):
        gr.api(getattr(actions, name), api_name=name)
    for name in ("sweep_start", "sweep_status", "sweep_stop"):  # ui.sweep_actions
        gr.api(getattr(actions, name), api_name=name)
    gr.api(actions.attention, api_name="attention", **HEAVY)
    gr.api(actions.fill, api_name="fill", **HEAVY)
    for name in ("diff_runs", "describe_run", "delete_run", "similar"):
        gr.api(getattr(actions, name), api_name=name)
    for name in ("evaluate", "report_file", "export_file"):
        gr.api(getattr(actions, name), api_name=name, **HEAVY)
    gr.api(actions.suspects, api_name="suspects", **HEAVY)  # ui.label_actions
    gr.api(actions.retrain_fixed, api_name="retrain_fixed")
