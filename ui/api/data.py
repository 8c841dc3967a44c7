"""Data: the health report of an upload (``/inspect_data``, the CLI's ``inspect``), a copy of it without its
repeated texts as a new upload (``/drop_duplicates``, the CLI's ``dedupe``), the few-shot recipe's advice for it,
what an auto training length would do on it, and whether the base model can read its text (the Train tab's plan
line).

Token lengths are measured with the tokenizer of a model reference; when that model cannot load, the Data
tab's report falls back to characters and says why (:meth:`Data.report`).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from core.config import DEFAULT_MAX_LENGTH, MAX_LENGTH, MULTI_LABEL_MODES, DataSettings, TrainSettings
from core.data import PREVIEW_ROWS, Columns, inspect_file, load_labelled
from core.data.dedupe import CONFLICTING, copy_name, drop_duplicates  # CONFLICTING: the choices, for clients
from core.data.health import data_texts, tokenizer_of
from core.data.readable import readability
from core.data.uploads import display_name
from core.errors import ModelError, TuneScopeError
from core.fewshot import advice
from core.modelref import ModelRef
from core.training.length import LengthPlan, auto_plan
from ui.api.access import NO_UPLOAD_MESSAGE
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.i18n.languages import tr, trf

__all__ = ["CONFLICTING", "MULTI_LABEL_MODES", "PREVIEW_ROWS", "Data", "fewshot_hint"]


@functools.lru_cache(maxsize=64)
def fewshot_hint(path: str, columns: Columns) -> str:
    """The few-shot recipe's recommendation for this data (``core.fewshot.advice``), or "" (cached: an upload id
    is never given to other bytes, so a path always holds the same bytes)."""
    try:
        data = load_labelled(path, columns)
    except TuneScopeError:
        return ""
    return advice(data) or ""


@functools.lru_cache(maxsize=64)
def length_hint(path: str, columns: Columns) -> LengthPlan | None:
    """The auto length's plan for this data at the default batch size and validation share, or None."""
    try:
        data = load_labelled(path, columns)
    except TuneScopeError:
        return None
    train = TrainSettings()
    rows = round(len(data.frame) * (1 - DataSettings().val_fraction))
    return auto_plan(rows, len(data.labels), train.batch_size, train.metric_for_best_model)


def plan_sentence(plan: LengthPlan) -> str:
    """"Epochs auto: <the plan>." as one catalogue sentence in the request's language: the plan's template (one
    per case, ``core.training.length.PLAN_TEMPLATES``) with its numbers filled in and the metric's words
    translated as a term."""
    values = dict(plan.values)
    values["metric"] = tr(values["metric"])
    return trf("Epochs auto: " + plan.template + ".", **values)


@functools.lru_cache(maxsize=64)
def read_hint(path: str, columns: Columns, model: ModelRef) -> str:
    """The sentence saying ``model`` cannot read this data's text (``core.data.readable``), or "" (it can, or the
    data or the model does not load: the data check and preflight say why)."""
    try:
        data = load_labelled(path, columns)
        tokenizer, name, _ = tokenizer_of(None, model)
    except TuneScopeError:
        return ""
    return readability(data_texts(data.frame), tokenizer, name)["message"] or ""


class Data:
    """Reports on uploaded data, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def inspect_data(self, upload: str, text_column: str | None = None, label_column: str | None = None,
                     text_pair_column: str | None = None, model: str | None = "default",
                     max_length: int = DEFAULT_MAX_LENGTH, preview_rows: int = 0,
                     multi_label: str = "auto") -> dict[str, Any]:
        """The health report of an uploaded file (the CLI's ``inspect``); token lengths under ``model``.

        ``multi_label`` ('auto', 'yes', 'no') overrides the multi-label detection; ``label_column`` may name
        several 0/1 label columns separated by commas."""
        path = self.context.upload_path(upload)
        low, high = MAX_LENGTH.minimum, MAX_LENGTH.maximum  # a run's max_length, as declared
        if not low <= int(max_length) <= high:
            raise gr.Error(f"max_length must be between {low} and {high} tokens (got {max_length}).")
        source = self.context.source(model) if model else None
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column, "multi_label": multi_label})
        return inspect_file(path, columns, model=source, max_length=int(max_length), preview_rows=preview_rows)

    @friendly_errors
    def drop_duplicates(self, upload: str, text_column: str | None = None, label_column: str | None = None,
                        text_pair_column: str | None = None, multi_label: str = "auto",
                        conflicting: str = "keep") -> dict[str, Any]:
        """A copy of an upload without its repeated texts (case, spaces and full-width forms aside), stored as a
        new upload of the caller's: the first row of each text stays. A text given different labels keeps its
        first row of each label (``conflicting='keep'``) or loses all its rows (``'drop'``). Returns the counts
        and ``upload``: the new upload id, or the same id when nothing was repeated (no new upload then)."""
        path = self.context.upload_path(upload)
        columns = Columns.from_dict({"text_column": text_column, "label_column": label_column,
                                     "text_pair_column": text_pair_column, "multi_label": multi_label})
        if not self.context.caller().may_upload:  # the copy is a new upload
            raise gr.Error(NO_UPLOAD_MESSAGE)
        folder = self.context.places.uploads
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".dedupe-") as work:
            copy = Path(work) / copy_name(display_name(upload))
            summary = drop_duplicates(path, copy, columns, conflicting)
            new = self.context.store_upload(copy) if summary["written"] else upload
        return {"upload": new, **summary}

    def report(self, upload: str, columns: dict[str, Any], base: str | None) -> tuple[dict[str, Any], str | None]:
        """The Data tab's report (with a preview) and, when the base model cannot load, why token lengths were
        skipped (they fall back to characters then)."""
        args = dict(Columns.from_dict(columns).to_dict(), preview_rows=PREVIEW_ROWS)
        try:
            return self.inspect_data(upload, model=base or "default", **args), None
        except gr.Error as exc:
            if not isinstance(exc.__cause__, ModelError):
                raise
            return self.inspect_data(upload, model=None, **args), exc.message

    def length_plan(self, choice: Any) -> str:
        """What an auto training length will do on a saved data choice at the default settings, in one sentence
        (``core.training.length``), or "" (no valid choice)."""
        data = self.context.valid_data(choice)
        plan = length_hint(str(self.context.upload_path(data["upload"])), Columns.from_dict(data)) if data else None
        return plan_sentence(plan) if plan else ""

    def read_check(self, choice: Any, base: str | None) -> str:
        """Whether the base model can read a saved data choice: the sentence naming the problem and what to do
        (the Train tab's plan line says it before training needs a confirmation), or ""."""
        data = self.context.valid_data(choice)
        if not data:
            return ""
        try:
            model = self.context.source(base or "default")
        except (gr.Error, TuneScopeError):
            return ""
        return read_hint(str(self.context.upload_path(data["upload"])), Columns.from_dict(data), model)

    def advice(self, choice: Any) -> str:
        """The few-shot recipe's recommendation for a saved data choice, or "" (none, or no valid choice)."""
        data = self.context.valid_data(choice)
        if not data:
            return ""
        return fewshot_hint(str(self.context.upload_path(data["upload"])), Columns.from_dict(data))
