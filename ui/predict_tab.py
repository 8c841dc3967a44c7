"""Predict tab: one text (or text pair) to class probabilities, or a whole file to a CSV, with the model
in view (chosen in the Model tab, or the run that just finished), named at the top of the tab.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from core.data.uploads import display_name, store_upload, upload_path
from core.inference import predict_file
from ui.actions import HEAVY, Actions
from ui.common import friendly_errors, warn_all
from ui.session import model_name


class PredictTab:
    """The Predict tab's components and handlers."""

    def __init__(self, actions: Actions, state: dict[str, Any]) -> None:
        self.actions = actions
        self.state = state
        self.model_note = gr.Markdown(f"Model in view: **{model_name(None)}** (change it in the Model tab)")
        with gr.Row():
            with gr.Column():
                self.text = gr.Textbox(label="Text", lines=4, placeholder="Type or paste a text to classify…")
                self.pair = gr.Textbox("", label="Second text (sentence-pair models only)", lines=2)
                self.go = gr.Button("Predict", variant="primary")
            with gr.Column():
                self.label = gr.Label(label="Probabilities", num_top_classes=10)
        with gr.Accordion("Predict a whole file", open=False):
            with gr.Row():
                self.upload = gr.File(label="File to predict", type="filepath",
                                      file_types=[".csv", ".tsv", ".txt", ".jsonl", ".parquet", ".xlsx"])
                self.column = gr.Textbox(label="Text column (guessed when empty)")
                self.run_file = gr.Button("Predict file")
            self.result_file = gr.File(label="Predictions (CSV)")
            self.preview = gr.Dataframe(label="First rows", interactive=False, wrap=True, max_height=300)
        self.wire()

    def wire(self) -> None:
        view = self.state["view"]
        for trigger in (self.go.click, self.text.submit):
            trigger(self.on_predict, [self.text, view, self.pair], self.label, api_visibility="private")
        self.run_file.click(self.on_predict_file, [self.upload, self.column, view], [self.result_file, self.preview],
                            api_name="predict_file", **HEAVY)
        view.change(lambda ref: f"Model in view: **{model_name(ref)}** (change it in the Model tab)", view,
                    self.model_note, api_visibility="private")

    @friendly_errors
    def on_predict(self, text: str, model: str | None, text_pair: str = "") -> dict[str, float]:
        result = self.actions.predict(text, model or "default", text_pair)
        warn_all(result["warnings"])
        return {c["label"]: c["confidence"] for c in result["confidences"]}

    @friendly_errors
    def on_predict_file(self, path: str | None, text_column: str, model: str | None,
                        progress: gr.Progress = gr.Progress()) -> tuple[Any, Any]:  # noqa: B008
        """Predict every row of an uploaded file; returns (CSV file, its first rows)."""
        if not path:
            raise gr.Error("Upload a file to predict.")
        places = self.actions.places
        upload = store_upload(path, places.uploads)
        loaded = self.actions.load(model or "default")
        warn_all(loaded.warnings)
        places.predictions.mkdir(parents=True, exist_ok=True)
        stem = Path(display_name(upload)).stem
        out = Path(tempfile.mkstemp(prefix=stem + "-predictions-", suffix=".csv", dir=places.predictions)[1])
        summary = predict_file(loaded, upload_path(upload, places.uploads), out, (text_column or "").strip() or None,
                               progress=lambda done, total: progress(done / total, desc=f"{done}/{total} rows"))
        gr.Info(f"Predicted {summary['rows']} rows: {summary['predicted']}")
        return str(out), pd.read_csv(out, nrows=50)
