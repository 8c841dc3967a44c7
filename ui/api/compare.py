"""Compare models on the caller's data (``/compare_models``, ``/comparison``, ``/list_comparisons``): candidates
(a model the app offers crossed with a recipe) trained as normal runs of the caller's upload with one budget, then
one table with the best trade-offs and a recommendation (``core.compare``).

Candidates name models as clients do (``default``, ``smollm2``, ``hub:<id>``, ``folder:<offered folder>``,
``run:<id>`` of a run the caller may see) with ``@finetune``, ``@lora`` or ``@setfit``. Every candidate's run is
the caller's and goes through the queue, within the account's run limits (all candidates' slots are held while
they are created). A comparison is seen by the account that started it (and admins); measuring its finished
candidates times each model on this server, so it shares the heavy pool.
"""

from __future__ import annotations

import contextlib
from typing import Any

import gradio as gr

from core import runs
from core.compare import RECIPES, Budget, Candidate, comparison_result, create_comparison, list_comparisons
from core.compare.result import load_comparison
from core.config import TrainSettings
from core.data import Columns
from core.errors import ConfigError
from core.modelref import FOLDER, HUB, ModelRef
from core.models import cached_hub_models
from core.settings import from_values
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import give_back_memory, guard
from ui.api.models import smollm2_installed
from ui.api.session import run_ref
from ui.api.training import Training, enqueue

MAX_RUN_CHOICES = 6  # earlier runs offered as candidates: the newest finished ones


class Comparisons:
    """Model-comparison operations, over one app's context (with the training operations' data checks)."""

    def __init__(self, context: Context, training: Training) -> None:
        self.context = context
        self.training = training

    def candidate(self, text: Any, request: Any = None) -> Candidate:
        """A client's ``MODEL@RECIPE``, its model checked against what this caller may use."""
        if not isinstance(text, str) or not text.strip():
            raise gr.Error("A candidate is written MODEL@RECIPE, e.g. default@setfit.")
        model, sep, recipe = text.strip().rpartition("@")
        model, recipe = (model, recipe) if sep else (text.strip(), "finetune")
        if recipe not in RECIPES:
            raise gr.Error(f"A candidate's recipe must be one of {', '.join(RECIPES)}.")
        return Candidate(self.context.source(model, request), recipe, f"{ModelRef.parse(model).format()}@{recipe}")

    @friendly_errors
    def compare_models(self, upload: str, candidates: list[str] | None = None, epochs: float | None = 1.0,
                       minutes: int | None = None, settings: dict[str, Any] | None = None,
                       text_column: str | None = None, label_column: str | None = None,
                       text_pair_column: str | None = None, val_upload: str | None = None,
                       multi_label: str = "auto", request: gr.Request = None) -> dict[str, Any]:
        """Train 2 to 8 candidates (``["default@finetune", "default@setfit", "run:<id>@lora", ...]``) on an upload
        with one budget each (``minutes`` when given, else ``epochs``) and the shared ``settings``; each is a run in
        the queue. Returns ``{"comparison_id", "runs": [{"run_id", "candidate", "recipe"}]}``; read the table with
        ``comparison``."""
        self.context.require_change(request)
        if not isinstance(candidates, list):
            raise gr.Error("candidates must be a list such as [\"default@finetune\", \"default@setfit\"].")
        settings = dict(settings or {})
        if "pretrain_file" in settings:
            raise gr.Error("A comparison takes no pre-training file.")
        train = from_values(TrainSettings, settings)
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column, "multi_label": multi_label})
        config = self.training.run_config(upload, "default", train, columns, val_upload, None, request)
        return self.launch_comparison(config, candidates, epochs, minutes, request)

    def launch_comparison(self, config: Any, candidates: list[str], epochs: Any = None, minutes: Any = None,
                          request: Any = None) -> dict[str, Any]:
        """Create and queue the candidates' runs from ``config`` (its data and shared settings; the Train tab's
        form) with ``minutes`` each when given, else ``epochs``, within the caller's run limits:
        ``{"comparison_id", "budget", "runs"}``."""
        self.context.require_change(request)
        try:
            budget = Budget(minutes=int(minutes)) if minutes else Budget(epochs=float(epochs) if epochs else None)
        except (TypeError, ValueError):
            raise gr.Error("epochs and minutes must be numbers.") from None
        chosen = [self.candidate(text, request) for text in candidates]
        caller = self.context.caller(request)
        with contextlib.ExitStack() as slots:
            for _ in chosen:  # every candidate's run within the account's limits, or none
                slots.enter_context(self.context.quotas.run_slot(caller, config.train.gpus))
            record = create_comparison(config.data, chosen, budget, self.context.places.root, caller.owner,
                                       base=config.train)
        for entry in record["runs"]:
            enqueue(self.context, self.context.run_dir(entry["run_id"], request), request)
        return {"comparison_id": record["id"], "budget": record["budget"],
                "runs": [{k: e[k] for k in ("run_id", "candidate", "recipe", "label")} for e in record["runs"]]}

    def _record(self, comparison_id: str, request: Any) -> dict[str, Any]:
        record = load_comparison(comparison_id, self.context.places.root)
        if not self.context.caller(request).owns(record.get("owner")):
            raise ConfigError(f"There is no comparison {str(comparison_id)[:40]} that this account can see.")
        return record

    @friendly_errors
    def comparison(self, comparison_id: str, measure: bool = True, request: gr.Request = None) -> dict[str, Any]:
        """A comparison's table: per candidate its state, validation accuracy and macro-F1, training seconds, and once
        finished single-text latency p50 (ms), texts per second and size (MB) measured on this server; ``front``
        (the best trade-offs), ``recommended`` (run id, label, reason: 'best' or 'close_and_faster') and
        ``pending`` (candidates not finished yet)."""
        self._record(comparison_id, request)
        check = guard()
        try:
            with self.context.quotas.heavy(self.context.caller(request)):
                result = comparison_result(comparison_id, self.context.places.root, bool(measure),
                                           progress=lambda done, total: check())
        finally:
            give_back_memory()
        return self.context.shown(result, request)

    @friendly_errors
    def list_comparisons(self, request: gr.Request = None) -> list[dict[str, Any]]:
        """This account's comparisons, newest first: id, time, data file name, budget and candidates."""
        caller = self.context.caller(request)
        return [{"id": r["id"], "created_at": r.get("created_at"), "data": r.get("data"), "budget": r.get("budget"),
                 "candidates": [e.get("candidate") for e in r["runs"]]}
                for r in list_comparisons(self.context.places.root) if caller.owns(r.get("owner"))]

    def candidate_models(self, request: Any = None) -> list[tuple[str, str]]:
        """(name, client reference) of the base models a comparison can use here: the embedded models, the offered
        folders, the models in this server's Hugging Face cache and the caller's newest finished runs."""
        models = [("MiniLM-L6 (embedded)", "default")]
        if smollm2_installed():
            models.append(("SmolLM2-135M (embedded decoder)", "smollm2"))
        models += [(str(folder), ModelRef(FOLDER, str(folder)).format()) for folder in self.context.places.folders]
        models += [(ModelRef(HUB, name).format(), ModelRef(HUB, name).format()) for name in cached_hub_models()]
        caller = self.context.caller(request)
        mine = [r for r in runs.list_runs(self.context.places.root)
                if r["state"] == "finished" and r.get("has_model")
                and caller.may_see(**_sharing(runs.read_sharing(r["run_dir"])))]
        models += [(f"run {r.get('name') or r['run_id']}", run_ref(r["run_id"])) for r in mine[:MAX_RUN_CHOICES]]
        return models


def _sharing(sharing: dict[str, Any]) -> dict[str, Any]:
    return {"owner": sharing.get("owner"), "shared": bool(sharing.get("shared"))}
