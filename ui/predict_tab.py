"""Predict tab: one text (or text pair) to class probabilities, or a whole file to a CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from core.inference import load_for_inference, predict_file, predict_texts
from core.runs import runs_root
from ui.common import friendly_errors, warn_all


@friendly_errors
def predict_one(text: str, model: str = "default", text_pair: str = "") -> dict[str, float]:
    """Class probabilities for one text (``text_pair`` for sentence-pair models)."""
    if not text or not text.strip():
        raise gr.Error("Type a text to classify.")
    loaded = load_for_inference(model or "default")
    warn_all(loaded.warnings)
    result = predict_texts(loaded, [text], [text_pair] if text_pair and text_pair.strip() else None)[0]
    return result["scores"]


def build(model_source: gr.State, runs_root_dir: str | None) -> None:
    """Lay out the Predict tab inside the current ``gr.Tab``."""
    model_note = gr.Markdown()
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="Text", lines=4, placeholder="Type or paste a text to classify…")
            pair = gr.Textbox("", label="Second text (sentence-pair models only)", lines=2)
            go = gr.Button("Predict", variant="primary")
        with gr.Column():
            label = gr.Label(label="Probabilities", num_top_classes=10)
    with gr.Accordion("Predict a whole file", open=False):
        with gr.Row():
            upload = gr.File(label="File to predict", type="filepath",
                             file_types=[".csv", ".tsv", ".txt", ".jsonl", ".parquet", ".xlsx"])
            column = gr.Textbox(label="Text column (guessed when empty)")
            run_file = gr.Button("Predict file")
        result_file = gr.File(label="Predictions (CSV)")
        preview = gr.Dataframe(label="First rows", interactive=False, wrap=True, max_height=300)

    @friendly_errors
    def predict_upload(path: str | None, text_column: str, model: str,
                       progress: gr.Progress = gr.Progress()) -> tuple[Any, Any]:  # noqa: B008
        if not path:
            raise gr.Error("Upload a file to predict.")
        loaded = load_for_inference(model or "default")
        warn_all(loaded.warnings)
        folder = runs_root(runs_root_dir) / "predictions"
        folder.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkstemp(prefix=Path(path).stem + "-predictions-", suffix=".csv", dir=folder)[1])
        summary = predict_file(loaded, path, out, text_column.strip() or None,
                               progress=lambda done, total: progress(done / total, desc=f"{done}/{total} rows"))
        import pandas as pd

        gr.Info(f"Predicted {summary['rows']} rows: {summary['predicted']}")
        return str(out), pd.read_csv(out, nrows=50)

    go.click(predict_one, [text, model_source, pair], label, api_name="predict")
    text.submit(predict_one, [text, model_source, pair], label, api_visibility="private")
    run_file.click(predict_upload, [upload, column, model_source], [result_file, preview], api_name="predict_file")
    model_source.change(lambda m: f"Using model: `{m}`", model_source, model_note, api_visibility="private")
