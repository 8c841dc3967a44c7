"""Data tab: upload a labelled file (or use the sample), pick columns, see the health report.

Uploads are copied into the upload area and referred to by their upload id from then on
(``core.data.uploads``); the session's data choice (id and columns) lives in a ``gr.BrowserState`` so
it survives a reload. Token lengths are measured with the tokenizer of the base model for training.
Multi-label data (several labels in a cell, or several 0/1 columns named in the label column separated
by commas) shows rows per label, labels together and labels per row; the *Multi-label* choice overrides
the detection. When texts repeat, *Drop duplicates* makes a copy without them a new upload and shows it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.data import MULTI_LABEL_MODES, PREVIEW_ROWS
from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import health_figures
from ui.api.uploads import Uploads
from ui.tabs.busy import busy
from ui.tabs.data.active_panel import build_active_panel
from ui.tabs.data.format import dedupe_message, label_choices, report_markdown
from ui.tabs.data.suspects_panel import build_suspects_panel
from ui.tabs.format import md_inline
from ui.tabs.notices import info, warn_all, warning

FILE_TYPES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx"]
NONE = "(none)"
MULTI_CHOICES = [("detect" if mode == "auto" else mode, mode) for mode in MULTI_LABEL_MODES]  # as declared


class DataTab:
    """The Data tab's components and handlers."""

    def __init__(self, api: Api, state: dict[str, Any], sample: str | None) -> None:
        self.api = api
        self.state = state
        self.sample = sample
        with gr.Row():
            with gr.Column(scale=1):
                self.upload = gr.File(label="Labelled file", file_types=FILE_TYPES, type="filepath")
                self.use_sample = gr.Button("Use the sample dataset", size="sm", visible=bool(sample))
                self.text_col = gr.Dropdown(label="Text column", choices=[], interactive=True)
                self.label_col = gr.Dropdown(label="Label column", choices=[], interactive=True, allow_custom_value=True,
                                             info="several 0/1 label columns: type their names separated by commas")
                self.multi = gr.Radio(MULTI_CHOICES, value="auto", label="Multi-label (several labels per row)",
                                      interactive=True)
                self.pair_col = gr.Dropdown(label="Second text column (sentence pairs)", choices=[NONE], value=NONE,
                                            interactive=True)
            with gr.Column(scale=2):
                self.report = gr.Markdown("Upload a file to see its health report.")
                self.dedupe = gr.Button("Drop duplicates", size="sm", visible=False)
                with gr.Row():
                    self.counts = gr.Plot(label="Class balance")
                    self.lengths = gr.Plot(label="Lengths")
                with gr.Row(visible=False) as self.multi_row:
                    self.together = gr.Plot(label="Labels together")
                    self.per_row = gr.Plot(label="Labels per row")
                self.dropped = gr.Plot(label="Dropped rows", visible=False)
        self.preview = gr.Dataframe(label=f"Preview (first {PREVIEW_ROWS} rows)", interactive=False, wrap=True,
                                    max_height=360)
        self.details = gr.JSON(label="Full report (same as `python -m core inspect`)", open=False)
        gr.Markdown("**Suspect labels** of the last run you trained or watched (Train tab): rows whose label is "
                    "probably wrong, judged from that run.")
        self.suspects = build_suspects_panel(api, state["run"])
        self.suspects.retrain_event.then(lambda run_id: run_id or gr.skip(), self.suspects.new_run, state["run"],
                                         api_visibility="private")
        self.active = build_active_panel(api, state["run"])
        self.active.retrain_event.then(lambda run_id: run_id or gr.skip(), self.active.new_run, state["run"],
                                       api_visibility="private")
        self.wire()

    @property
    def outputs(self) -> list[Any]:
        return [self.state["data"], self.text_col, self.label_col, self.pair_col, self.preview, self.counts,
                self.lengths, self.dropped, self.report, self.details, self.multi, self.multi_row, self.together,
                self.per_row, self.dedupe]

    def wire(self) -> None:
        st = self.state
        self.upload.upload(self.on_file, [self.upload, st["base"]], self.outputs, api_name="upload_data")
        busy(self.use_sample.click, [self.use_sample], self.on_sample, st["base"], self.outputs, api_name="use_sample")
        busy(self.dedupe.click, [self.dedupe], self.on_dedupe, [st["data"], st["base"]], self.outputs,
             api_visibility="private")
        columns = {st["data"], self.text_col, self.label_col, self.pair_col, self.multi, st["base"]}
        for dropdown in (self.text_col, self.label_col, self.pair_col, self.multi):
            dropdown.input(self.on_columns, columns, self.outputs, api_visibility="private")

    def inspect(self, upload: str, columns: dict[str, Any], base: str | None) -> dict[str, Any]:
        """The report for an upload; token lengths fall back to characters when the model cannot load.

        The result remembers the multi-label choice it was made with (``multi_label_setting``)."""
        pair = None if columns.get("text_pair_column") in (None, "", NONE) else columns["text_pair_column"]
        columns = {**columns, "text_pair_column": pair, "multi_label": columns.get("multi_label") or "auto"}
        result, skipped = self.api.data.report(upload, columns, base)
        if skipped:
            warning(f"Token lengths skipped: {skipped}")
        return {**result, "multi_label_setting": columns["multi_label"]}

    def show(self, upload: str, result: dict[str, Any]) -> dict[Any, Any]:
        preview = pd.DataFrame(result.pop("preview", []), columns=result["columns"])
        figures = health_figures(result)
        columns = result["columns"]
        multi = result.pop("multi_label_setting", None) or "auto"
        choice = {"upload": upload, "text_column": result["text_column"], "label_column": result["label_column"],
                  "text_pair_column": result.get("text_pair_column"), "multi_label": multi}
        return {
            self.state["data"]: choice,
            self.text_col: gr.Dropdown(choices=columns, value=result["text_column"]),
            self.label_col: gr.Dropdown(choices=label_choices(columns, result), value=result["label_column"]),
            self.pair_col: gr.Dropdown(choices=[NONE, *columns], value=result.get("text_pair_column") or NONE),
            self.preview: preview, self.counts: figures["class_balance"],
            self.lengths: figures.get("token_lengths") or figures.get("char_lengths"),
            self.dropped: gr.update(value=figures.get("dropped_rows"), visible="dropped_rows" in figures),
            self.report: f"**{md_inline(Uploads.name(upload))}** · " + report_markdown(result), self.details: result,
            self.multi: multi, self.multi_row: gr.Row(visible="co_occurrence" in figures),
            self.together: figures.get("co_occurrence"), self.per_row: figures.get("labels_per_row"),
            self.dedupe: gr.Button(visible=bool(((result.get("health") or {}).get("duplicates") or {})
                                                .get("exact_duplicate_rows"))),  # copies with the same label
        }

    @friendly_errors
    def on_file(self, path: str | None, base: str | None = "default") -> dict[Any, Any]:
        if not path:
            return {}
        upload = self.api.uploads.store(path)
        result = self.inspect(upload, {}, base)
        warn_all(result.get("warnings", [])[:3])
        return self.show(upload, result)

    @friendly_errors
    def on_columns(self, values: dict[Any, Any]) -> dict[Any, Any]:
        choice = self.api.uploads.valid(values[self.state["data"]])
        if not choice:
            return {}
        text, label = values[self.text_col], values[self.label_col]
        if text == label:
            raise gr.Error("The text and label columns must differ.")
        columns = {"text_column": text, "label_column": label, "text_pair_column": values[self.pair_col],
                   "multi_label": values[self.multi]}
        return self.show(choice["upload"], self.inspect(choice["upload"], columns, values[self.state["base"]]))

    @friendly_errors
    def on_dedupe(self, saved: Any, base: str | None = "default") -> dict[Any, Any]:
        """Drop duplicates: the copy without repeated texts becomes the data choice (same columns)."""
        choice = self.api.uploads.valid(saved)
        if not choice:
            raise gr.Error("Choose a file first: there are no duplicates to drop yet.")
        columns = {key: choice.get(key) for key in ("text_column", "label_column", "text_pair_column")}
        columns["multi_label"] = choice.get("multi_label") or "auto"
        done = self.api.data.drop_duplicates(choice["upload"], **columns)
        info(dedupe_message(done))
        return self.show(done["upload"], self.inspect(done["upload"], columns, base)) if done["written"] else {}

    def on_sample(self, base: str | None = "default") -> dict[Any, Any]:
        if not self.sample:
            raise gr.Error("No sample dataset is configured.")
        return self.on_file(self.sample, base)

    def restore(self, saved: Any, base: str | None) -> dict[Any, Any]:
        """On page load: the session's data and columns when still there, else the sample (if any, and if the
        account may upload: a viewer starts with no data)."""
        choice = self.api.uploads.valid(saved)
        if choice:
            try:
                return self.show(choice["upload"], self.inspect(choice["upload"], choice, base))
            except gr.Error:
                pass
        if not self.api.uploads.may_upload():
            return {self.report: "This account can look at shared runs and predict, but not upload data."}
        return self.on_sample(base) if self.sample else {}
