"""Data: the health report of an upload (``/inspect_data``, the CLI's ``inspect``) and the few-shot
recipe's advice for it.

Token lengths are measured with the tokenizer of a model reference; when that model cannot load, the Data
tab's report falls back to characters and says why (:meth:`Data.report`).
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from core.data import PREVIEW_ROWS, inspect_file, load_labelled
from core.errors import ModelError, TuneScopeError
from core.fewshot import advice
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.session import valid_data

__all__ = ["PREVIEW_ROWS", "Data", "fewshot_hint"]


@functools.lru_cache(maxsize=64)
def fewshot_hint(path: str, text: str | None, label: str | None, pair: str | None, multi_label: str) -> str:
    """The few-shot recipe's recommendation for this data (``core.fewshot.advice``), or "" (cached: uploads are
    content-addressed, so a path always holds the same bytes)."""
    try:
        data = load_labelled(path, text, label, pair, multi_label=multi_label)
    except TuneScopeError:
        return ""
    return advice(data) or ""


class Data:
    """Reports on uploaded data, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def inspect_data(self, upload: str, text_column: str | None = None, label_column: str | None = None,
                     text_pair_column: str | None = None, model: str | None = "default", max_length: int = 128,
                     preview_rows: int = 0, multi_label: str = "auto") -> dict[str, Any]:
        """The health report of an uploaded file (the CLI's ``inspect``); token lengths under ``model``.

        ``multi_label`` ('auto', 'yes', 'no') overrides the multi-label detection; ``label_column`` may name
        several 0/1 label columns separated by commas."""
        path = self.context.upload_path(upload)
        if not 8 <= int(max_length) <= 8192:
            raise gr.Error(f"max_length must be between 8 and 8192 tokens (got {max_length}).")
        source = self.context.source(model) if model else None
        return inspect_file(path, text_column or None, label_column or None, text_pair_column or None,
                            model=source, max_length=int(max_length), preview_rows=preview_rows,
                            multi_label=multi_label or "auto")

    def report(self, upload: str, columns: dict[str, Any], base: str | None) -> tuple[dict[str, Any], str | None]:
        """The Data tab's report (with a preview) and, when the base model cannot load, why token lengths were
        skipped (they fall back to characters then)."""
        args = dict(text_column=columns.get("text_column"), label_column=columns.get("label_column"),
                    text_pair_column=columns.get("text_pair_column"), preview_rows=PREVIEW_ROWS,
                    multi_label=columns.get("multi_label") or "auto")
        try:
            return self.inspect_data(upload, model=base or "default", **args), None
        except gr.Error as exc:
            if not isinstance(exc.__cause__, ModelError):
                raise
            return self.inspect_data(upload, model=None, **args), exc.message

    def advice(self, choice: Any) -> str:
        """The few-shot recipe's recommendation for a saved data choice, or "" (none, or no valid choice)."""
        data = valid_data(choice, self.context.places)
        if not data:
            return ""
        return fewshot_hint(str(self.context.places.uploads / data["upload"]), data.get("text_column"),
                            data.get("label_column"), data.get("text_pair_column"), data.get("multi_label", "auto"))
