"""Data tab: upload a labelled file (or use the sample), pick columns, see the health report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from core.data import PREVIEW_ROWS, file_hash, inspect_file
from core.errors import ModelError
from core.plots.data import health_figures
from core.runs import runs_root
from ui.common import friendly_errors, warn_all

FILE_TYPES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx"]
NONE = "(none)"


def persist_upload(path: str, root: str | None) -> str:
    """Copy an upload out of Gradio's temporary cache so later runs can still read it."""
    source = Path(path)
    folder = runs_root(root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    digest = file_hash(source)[:10]  # streamed: a large upload is not read into memory
    target = folder / f"{digest}-{source.name}"
    if not target.exists():
        shutil.copyfile(source, target)
    return str(target)


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


@friendly_errors
def inspect_data(path: str, text_column: str | None = None, label_column: str | None = None,
                 pair_column: str | None = None, model: str | None = "default", max_length: int = 128,
                 preview_rows: int = 0) -> dict[str, Any]:
    """Inspect a labelled file with the given (or guessed) columns; the JSON is the CLI's ``inspect``.

    Token lengths use ``model``'s tokenizer; if it cannot be loaded the report falls back to characters.
    """
    if not path:
        raise gr.Error("Upload a labelled file first (CSV, TSV, JSONL, Parquet or Excel).")
    pair = None if pair_column in (None, "", NONE) else pair_column
    try:
        return inspect_file(path, text_column or None, label_column or None, pair, model=model or None,
                            max_length=int(max_length), preview_rows=preview_rows)
    except ModelError as exc:
        gr.Warning(f"Token lengths skipped: {exc}")
        return inspect_file(path, text_column or None, label_column or None, pair, preview_rows=preview_rows)


def _outputs(path: str, result: dict[str, Any]) -> tuple[Any, ...]:
    preview = pd.DataFrame(result.pop("preview", []), columns=result["columns"])
    figures = health_figures(result)
    lengths = figures.get("token_lengths") or figures.get("char_lengths")
    columns = result["columns"]
    choice = {"path": path, "text_column": result["text_column"], "label_column": result["label_column"],
              "text_pair_column": result.get("text_pair_column")}
    return (
        choice,
        gr.Dropdown(choices=columns, value=result["text_column"]),
        gr.Dropdown(choices=columns, value=result["label_column"]),
        gr.Dropdown(choices=[NONE, *columns], value=result.get("text_pair_column") or NONE),
        preview,
        figures["class_balance"],
        lengths,
        gr.update(value=figures.get("dropped_rows"), visible="dropped_rows" in figures),
        report_markdown(result),
        result,
    )


def build(data_choice: gr.State, model_source: gr.State, runs_root_dir: str | None,
          initial: str | None) -> tuple[Any, Any]:
    """Lay out the Data tab; returns (load event trigger fn, its outputs) for the page-load hook."""
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label="Labelled file", file_types=FILE_TYPES, type="filepath")
            sample = gr.Button("Use the sample dataset", size="sm")
            text_col = gr.Dropdown(label="Text column", choices=[], interactive=True)
            label_col = gr.Dropdown(label="Label column", choices=[], interactive=True)
            pair_col = gr.Dropdown(label="Second text column (sentence pairs)", choices=[NONE], value=NONE,
                                   interactive=True)
        with gr.Column(scale=2):
            report = gr.Markdown("Upload a file to see its health report.")
            with gr.Row():
                counts = gr.Plot(label="Class balance")
                lengths = gr.Plot(label="Lengths")
            dropped = gr.Plot(label="Dropped rows", visible=False)
    preview = gr.Dataframe(label=f"Preview (first {PREVIEW_ROWS} rows)", interactive=False, wrap=True, max_height=360)
    details = gr.JSON(label="Full report (same as `python -m core inspect`)", open=False)
    outputs = [data_choice, text_col, label_col, pair_col, preview, counts, lengths, dropped, report, details]

    @friendly_errors
    def on_file(path: str | None, model: str | None = "default") -> tuple[Any, ...]:
        if not path:
            return (gr.skip(),) * len(outputs)
        stored = persist_upload(path, runs_root_dir)
        result = inspect_data(stored, None, None, None, model, preview_rows=PREVIEW_ROWS)
        warn_all(result.get("warnings", [])[:3])
        return _outputs(stored, result)

    @friendly_errors
    def on_columns(choice: dict[str, Any] | None, text: str, label: str, pair: str, model: str) -> tuple[Any, ...]:
        if not choice or not choice.get("path"):
            return (gr.skip(),) * len(outputs)
        if text == label:
            raise gr.Error("The text and label columns must differ.")
        return _outputs(choice["path"], inspect_data(choice["path"], text, label, pair, model,
                                                     preview_rows=PREVIEW_ROWS))

    def on_sample(model: str | None = "default") -> tuple[Any, ...]:
        if not initial:
            raise gr.Error("No sample dataset is configured.")
        return on_file(initial, model)

    upload.upload(on_file, [upload, model_source], outputs, api_name="upload_data")
    sample.click(on_sample, model_source, outputs, api_name="use_sample")
    for dropdown in (text_col, label_col, pair_col):
        dropdown.input(on_columns, [data_choice, text_col, label_col, pair_col, model_source], outputs,
                       api_visibility="private")
    gr.api(inspect_data, api_name="inspect_data")  # path + columns in, the CLI's inspect JSON out
    return (on_sample if initial else None), outputs
