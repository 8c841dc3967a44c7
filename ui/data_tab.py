"""Data tab: upload a labelled file (or use the sample), pick columns, see the health report.

Uploads are copied into the upload area and referred to by their upload id from then on
(``core.data.uploads``); the session's data choice (id and columns) lives in a ``gr.BrowserState`` so
it survives a reload. Token lengths are measured with the tokenizer of the base model for training.
Multi-label data (several labels in a cell, or several 0/1 columns named in the label column separated
by commas) shows rows per label, labels together and labels per row; the *Multi-label* choice overrides
the detection.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from core.config import MULTI_LABEL_MODES
from core.data import PREVIEW_ROWS, Columns
from core.data.uploads import display_name, store_upload
from core.errors import ModelError
from core.plots.data import health_figures
from ui.actions import Actions
from ui.common import friendly_errors, warn_all, warning
from ui.session import valid_data
from ui.suspects_view import build_suspects_panel

FILE_TYPES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx"]
NONE = "(none)"
MULTI_CHOICES = [("detect" if mode == "auto" else mode, mode) for mode in MULTI_LABEL_MODES]  # as declared
TOP_PAIRS = 5


def multi_label_markdown(result: dict[str, Any]) -> list[str]:
    """Lines on multi-label data: how labels were given, labels per row, rows without a label, frequent pairs."""
    stats = (result.get("health") or {}).get("multi_label")
    if not result.get("multi_label") or not stats:
        return []
    rows = max(result["rows"], 1)
    several = stats["rows_with_several"]
    pairs = ", ".join(f"{a} + {b} ({n:,})" for (a, b), n in ((p["labels"], p["rows"]) for p in stats["pairs"][:TOP_PAIRS]))
    return [
        f"**Multi-label** ({result.get('label_format') or 'several labels per row'}): {len(stats['labels'])} labels · "
        f"mean {stats['mean_labels_per_row']:.2f} labels per row · {several:,} rows ({several / rows:.0%}) with "
        f"several · {stats['rows_without_label']:,} with none",
        *([f"Most frequent pairs: {pairs}"] if pairs else []),
    ]


def report_markdown(result: dict[str, Any]) -> str:
    """The health report as short markdown: counts, drops, duplicates, warnings."""
    lines = [
        f"**{result['rows']:,} usable rows** of {result.get('rows_read', result['rows']):,} · "
        f"{len(result['labels'])} {'labels' if result.get('multi_label') else 'classes'} · text "
        f"`{result['text_column']}` · label `{result['label_column']}`"
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
    lines += multi_label_markdown(result)
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
                self.label_col = gr.Dropdown(label="Label column", choices=[], interactive=True, allow_custom_value=True,
                                             info="several 0/1 label columns: type their names separated by commas")
                self.multi = gr.Radio(MULTI_CHOICES, value="auto", label="Multi-label (several labels per row)",
                                      interactive=True)
                self.pair_col = gr.Dropdown(label="Second text column (sentence pairs)", choices=[NONE], value=NONE,
                                            interactive=True)
            with gr.Column(scale=2):
                self.report = gr.Markdown("Upload a file to see its health report.")
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
        self.suspects = build_suspects_panel(actions, state["run"])
        self.suspects.retrain_event.then(lambda run_id: run_id or gr.skip(), self.suspects.new_run, state["run"],
                                         api_visibility="private")
        self.wire()

    @property
    def outputs(self) -> list[Any]:
        return [self.state["data"], self.text_col, self.label_col, self.pair_col, self.preview, self.counts,
                self.lengths, self.dropped, self.report, self.details, self.multi, self.multi_row, self.together,
                self.per_row]

    def wire(self) -> None:
        st = self.state
        self.upload.upload(self.on_file, [self.upload, st["base"]], self.outputs, api_name="upload_data")
        self.use_sample.click(self.on_sample, st["base"], self.outputs, api_name="use_sample")
        columns = {st["data"], self.text_col, self.label_col, self.pair_col, self.multi, st["base"]}
        for dropdown in (self.text_col, self.label_col, self.pair_col, self.multi):
            dropdown.input(self.on_columns, columns, self.outputs, api_visibility="private")

    def inspect(self, upload: str, columns: Columns, base: str | None) -> dict[str, Any]:
        """The report for an upload; token lengths fall back to characters when the model cannot load.

        The result remembers the multi-label choice it was made with (``multi_label_setting``)."""
        args = dict(columns.to_dict(), preview_rows=PREVIEW_ROWS)
        try:
            result = self.actions.inspect_data(upload, model=base or "default", **args)
        except gr.Error as exc:
            if not isinstance(exc.__cause__, ModelError):
                raise
            warning(f"Token lengths skipped: {exc.message}")
            result = self.actions.inspect_data(upload, model=None, **args)
        return {**result, "multi_label_setting": args["multi_label"]}

    def show(self, upload: str, result: dict[str, Any]) -> dict[Any, Any]:
        preview = pd.DataFrame(result.pop("preview", []), columns=result["columns"])
        figures = health_figures(result)
        columns = result["columns"]
        multi = result.pop("multi_label_setting", None) or "auto"
        chosen = Columns(result["text_column"], result["label_column"], result.get("text_pair_column"), multi)
        choice = {"upload": upload, **chosen.to_dict()}
        return {
            self.state["data"]: choice,
            self.text_col: gr.Dropdown(choices=columns, value=result["text_column"]),
            self.label_col: gr.Dropdown(choices=_label_choices(columns, result), value=result["label_column"]),
            self.pair_col: gr.Dropdown(choices=[NONE, *columns], value=result.get("text_pair_column") or NONE),
            self.preview: preview, self.counts: figures["class_balance"],
            self.lengths: figures.get("token_lengths") or figures.get("char_lengths"),
            self.dropped: gr.update(value=figures.get("dropped_rows"), visible="dropped_rows" in figures),
            self.report: f"**{display_name(upload)}** · " + report_markdown(result), self.details: result,
            self.multi: multi, self.multi_row: gr.Row(visible="co_occurrence" in figures),
            self.together: figures.get("co_occurrence"), self.per_row: figures.get("labels_per_row"),
        }

    @friendly_errors
    def on_file(self, path: str | None, base: str | None = "default") -> dict[Any, Any]:
        if not path:
            return {}
        upload = store_upload(path, self.actions.places.uploads)
        result = self.inspect(upload, Columns(), base)
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
        pair = None if values[self.pair_col] == NONE else values[self.pair_col]
        columns = Columns.from_dict({"text_column": text, "label_column": label, "text_pair_column": pair,
                                     "multi_label": values[self.multi]})
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
                return self.show(choice["upload"], self.inspect(choice["upload"], Columns.from_dict(choice), base))
            except gr.Error:
                pass
        return self.on_sample(base) if self.sample else {}


def _label_choices(columns: list[str], result: dict[str, Any]) -> list[str]:
    """The columns, plus the comma-separated 0/1 label columns in use (so the dropdown can show them)."""
    label = result["label_column"]
    return columns if label in columns else [*columns, label]
