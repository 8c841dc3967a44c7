"""Data tab: upload a labelled file (or use the sample), pick columns, see the health report.

Uploads are copied into the upload area and referred to by their upload id from then on
(``core.data.uploads``); the session's data choice (id and columns) lives in a ``gr.BrowserState`` so
it survives a reload. Token lengths are measured with the tokenizer of the base model for training.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from core.data import PREVIEW_ROWS
from core.data.uploads import display_name, store_upload
from core.errors import ModelError
from core.plots.data import health_figures
from ui.actions import Actions
from ui.common import friendly_errors, warn_all
from ui.session import valid_data

FILE_TYPES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx"]
NONE = "(none)"


def report_markdown(result: dict[str, Any]) -> str:
    """The health report as short markdown: counts, drops, duplicates, warnings."""
    lines = [
        f"**{result['rows']:,} usable rows** of {result.get('rows_read', result['rows']):,} · "
        f"{len(result['labels'])} classes · text `{result['text_column']}` · label `{result['label_column']}`"
        + (f" · second text `{result['text_pair_column']}`" if result.get("text_pair_column") else ""),
        f"Read as {result.get('format', 'csv')}"
        + (f", encoding {result['encoding']}" if result.get("encoding") else "")
        + (f", delimiter `{result['delimiter']!r}`" if result.get("delimiter") else ""),
    ]
    tokens = (result.get("health") or {}).get("tokens")
    if tokens:
        lines.append(
            f"Tokens ({tokens['tokenizer']}): median {tokens['p50']}, 95th percentile {tokens['p95']}, "
            f"max {tokens['max']} · **{tokens['truncated_share']:.1%}** of rows truncated at max_length "
            f"{tokens['max_length']} · suggested max_length **{tokens['suggested_max_length']}**"
        )
    lines += [f"- ⚠️ {w}" for w in result.get("warnings", [])]
    return "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")


class DataTab:
    """The Data tab's components and handlers."""

    def __init__(self, actions: Actions, state: dict[str, Any], sample: str | None) -> None:
        self.actions = actions
        self.state = state
        self.sample = sample
        with gr.Row():
            with gr.Column(scale=1):
                self.upload = gr.File(label="Labelled file", file_types=FILE_TYPES, type="filepath")
                self.use_sample = gr.Button("Use the sample dataset", size="sm", visible=bool(sample))
                self.text_col = gr.Dropdown(label="Text column", choices=[], interactive=True)
                self.label_col = gr.Dropdown(label="Label column", choices=[], interactive=True)
                self.pair_col = gr.Dropdown(label="Second text column (sentence pairs)", choices=[NONE], value=NONE,
                                            interactive=True)
            with gr.Column(scale=2):
                self.report = gr.Markdown("Upload a file to see its health report.")
                with gr.Row():
                    self.counts = gr.Plot(label="Class balance")
                    self.lengths = gr.Plot(label="Lengths")
                self.dropped = gr.Plot(label="Dropped rows", visible=False)
        self.preview = gr.Dataframe(label=f"Preview (first {PREVIEW_ROWS} rows)", interactive=False, wrap=True,
                                    max_height=360)
        self.details = gr.JSON(label="Full report (same as `python -m core inspect`)", open=False)
        self.wire()

    @property
    def outputs(self) -> list[Any]:
        return [self.state["data"], self.text_col, self.label_col, self.pair_col, self.preview, self.counts,
                self.lengths, self.dropped, self.report, self.details]

    def wire(self) -> None:
        st = self.state
        self.upload.upload(self.on_file, [self.upload, st["base"]], self.outputs, api_name="upload_data")
        self.use_sample.click(self.on_sample, st["base"], self.outputs, api_name="use_sample")
        columns = {st["data"], self.text_col, self.label_col, self.pair_col, st["base"]}
        for dropdown in (self.text_col, self.label_col, self.pair_col):
            dropdown.input(self.on_columns, columns, self.outputs, api_visibility="private")

    def inspect(self, upload: str, columns: dict[str, Any], base: str | None) -> dict[str, Any]:
        """The report for an upload; token lengths fall back to characters when the model cannot load."""
        pair = None if columns.get("text_pair_column") in (None, "", NONE) else columns["text_pair_column"]
        args = dict(text_column=columns.get("text_column"), label_column=columns.get("label_column"),
                    text_pair_column=pair, preview_rows=PREVIEW_ROWS)
        try:
            return self.actions.inspect_data(upload, model=base or "default", **args)
        except gr.Error as exc:
            if not isinstance(exc.__cause__, ModelError):
                raise
            gr.Warning(f"Token lengths skipped: {exc.message}")
            return self.actions.inspect_data(upload, model=None, **args)

    def show(self, upload: str, result: dict[str, Any]) -> dict[Any, Any]:
        preview = pd.DataFrame(result.pop("preview", []), columns=result["columns"])
        figures = health_figures(result)
        columns = result["columns"]
        choice = {"upload": upload, "text_column": result["text_column"], "label_column": result["label_column"],
                  "text_pair_column": result.get("text_pair_column")}
        return {
            self.state["data"]: choice,
            self.text_col: gr.Dropdown(choices=columns, value=result["text_column"]),
            self.label_col: gr.Dropdown(choices=columns, value=result["label_column"]),
            self.pair_col: gr.Dropdown(choices=[NONE, *columns], value=result.get("text_pair_column") or NONE),
            self.preview: preview, self.counts: figures["class_balance"],
            self.lengths: figures.get("token_lengths") or figures.get("char_lengths"),
            self.dropped: gr.update(value=figures.get("dropped_rows"), visible="dropped_rows" in figures),
            self.report: f"**{display_name(upload)}** · " + report_markdown(result), self.details: result,
        }

    @friendly_errors
    def on_file(self, path: str | None, base: str | None = "default") -> dict[Any, Any]:
        if not path:
            return {}
        upload = store_upload(path, self.actions.places.uploads)
        result = self.inspect(upload, {}, base)
        warn_all(result.get("warnings", [])[:3])
        return self.show(upload, result)

    @friendly_errors
    def on_columns(self, values: dict[Any, Any]) -> dict[Any, Any]:
        choice = valid_data(values[self.state["data"]], self.actions.places)
        if not choice:
            return {}
        text, label = values[self.text_col], values[self.label_col]
        if text == label:
            raise gr.Error("The text and label columns must differ.")
        columns = {"text_column": text, "label_column": label, "text_pair_column": values[self.pair_col]}
        return self.show(choice["upload"], self.inspect(choice["upload"], columns, values[self.state["base"]]))

    def on_sample(self, base: str | None = "default") -> dict[Any, Any]:
        if not self.sample:
            raise gr.Error("No sample dataset is configured.")
        return self.on_file(self.sample, base)

    def restore(self, saved: Any, base: str | None) -> dict[Any, Any]:
        """On page load: the session's data and columns when still there, else the sample (if any)."""
        choice = valid_data(saved, self.actions.places)
        if choice:
            try:
                return self.show(choice["upload"], self.inspect(choice["upload"], choice, base))
            except gr.Error:
                pass
        return self.on_sample(base) if self.sample else {}
