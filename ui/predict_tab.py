"""Predict tab: one text to class probabilities with the evidence for it, a whole file to a CSV, and
how good the model in view is (``ui.evaluate_view``).

For one text: the probability bars (for a multi-label model every label's probability against its
threshold, and the chosen labels), the tokens that drove the prediction towards a label the user picks
(integrated gradients, highlighted; the most probable label first), the most similar training examples
of a run (its stored index), and one click to the Attention tab on the same text. The model in view is named at the top of the tab.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from core.attention.attributions import attribution_html, integrated_gradients
from core.data.uploads import display_name, store_upload, upload_path
from core.errors import TuneScopeError
from core.inference import predict_file
from core.plots.prediction import label_probability_figure
from ui.actions import HEAVY, Actions
from ui.common import friendly_errors, info, warn_all
from ui.evaluate_view import EvaluateView
from ui.limits import checked_text, guard
from ui.session import RUN, ModelRef


class PredictTab:
    """The Predict tab's components and handlers."""

    def __init__(self, actions: Actions, state: dict[str, Any], links: dict[str, Any]) -> None:
        self.actions = actions
        self.state = state
        self.links = links  # the Attention tab's text box and the tabs, for "open in Attention"
        self.model_note = gr.Markdown(f"Model in view: **{ModelRef().name}** (change it in the Model tab)")
        with gr.Row():
            with gr.Column():
                self.text = gr.Textbox(label="Text", lines=4, placeholder="Type or paste a text to classify…")
                self.pair = gr.Textbox("", label="Second text (sentence-pair models only)", lines=2)
                with gr.Row():
                    self.go = gr.Button("Predict", variant="primary")
                    self.to_attention = gr.Button("Open in Attention")
            with gr.Column():
                self.label = gr.Label(label="Probabilities", num_top_classes=10)
                self.label_plot = gr.Plot(label="Each label against its threshold (multi-label)", visible=False)
                self.target = gr.Dropdown([], label="Explain label", info="the label the highlighted tokens are for",
                                          interactive=True)
                self.evidence = gr.HTML()
        self.similar = gr.Dataframe(headers=["similar training text", "label", "similarity"], interactive=False,
                                    wrap=True, visible=False, label="Most similar training examples")
        with gr.Accordion("Predict a whole file", open=False):
            with gr.Row():
                self.upload = gr.File(label="File to predict", type="filepath",
                                      file_types=[".csv", ".tsv", ".txt", ".jsonl", ".parquet", ".xlsx"])
                self.column = gr.Textbox(label="Text column (guessed when empty)")
                self.run_file = gr.Button("Predict file")
            self.result_file = gr.File(label="Predictions (CSV; formula-like cells escaped with ')")
            self.preview = gr.Dataframe(label="First rows", interactive=False, wrap=True, max_height=300)
        with gr.Accordion("How good is this model?", open=False):
            self.evaluate = EvaluateView(actions, state)
        self.wire()

    def wire(self) -> None:
        view = self.state["view"]
        outputs = [self.label, self.label_plot, self.target, self.evidence, self.similar]
        for trigger in (self.go.click, self.text.submit):
            trigger(self.on_predict, [self.text, view, self.pair], outputs, api_visibility="private")
        self.target.input(self.on_explain, [self.text, view, self.pair, self.target], self.evidence,
                          api_visibility="private")
        self.to_attention.click(self.on_attention, [self.text, self.pair],
                                [self.links["text"], self.links["pair"], self.links["tabs"]], api_visibility="private")
        self.run_file.click(self.on_predict_file, [self.upload, self.column, view],
                            [self.result_file, self.preview, *self.evaluate.outputs], api_name="predict_file", **HEAVY)
        view.change(lambda ref: f"Model in view: **{ModelRef.parse(ref).name}** (change it in the Model tab)", view,
                    self.model_note, api_visibility="private")

    @friendly_errors
    def on_predict(self, text: str, model: str | None, text_pair: str = "") -> dict[Any, Any]:
        result = self.actions.predict(text, model or "default", text_pair)
        warn_all(result["warnings"])
        scores = {c["label"]: c["confidence"] for c in result["confidences"]}
        multi = bool(result.get("multi_label"))
        top = result["confidences"][0]["label"]  # the most probable label: explained first
        updates: dict[Any, Any] = {
            self.label: gr.update(value=scores, visible=not multi),
            self.label_plot: gr.update(value=label_probability_figure(dict(sorted(scores.items())), result["thresholds"])
                                       if multi else None, visible=multi),
            self.target: gr.Dropdown(choices=list(scores), value=top),
        }
        updates[self.evidence] = self.explain(text, model, text_pair, top)
        updates[self.similar] = self.nearest(text, model, text_pair)
        return updates

    @friendly_errors
    def on_explain(self, text: str, model: str | None, text_pair: str, label: str | None) -> str:
        """The highlighted tokens for the label the user picked."""
        if not (text or "").strip() or not label:
            return ""
        return self.explain(text, model, text_pair, label)

    def explain(self, text: str, model: str | None, text_pair: str, label: str) -> str:
        """The tokens that drove ``label``, highlighted (integrated gradients, on request-sized work): of its
        probability, or for a multi-label model of its logit."""
        try:
            loaded = self.actions.load(model or "default")
            pair = checked_text(text_pair) or None
            found = integrated_gradients(loaded.model, loaded.tokenizer, checked_text(text), pair, label,
                                         n_steps=16, max_length=256, should_stop=guard(20))
        except TuneScopeError as exc:
            return f"<p>No explanation: {exc}</p>"
        what = "" if found.output == "probability" else " (its logit)"
        return attribution_html(found.tokens, found.scores, found.special,
                                f"Why '{found.label}'{what}: green tokens pushed towards it, red ones away")

    def nearest(self, text: str, model: str | None, text_pair: str) -> Any:
        """The run's most similar training examples (runs trained before the index existed have none)."""
        ref = ModelRef.parse(model)
        run_id = ref.value
        if ref.kind != RUN:
            return gr.update(visible=False)
        try:
            rows = self.actions.similar(run_id, checked_text(text), checked_text(text_pair) or None)
        except (TuneScopeError, gr.Error):  # an older run without an index: no table
            return gr.update(visible=False)
        frame = pd.DataFrame([[r["text"], r["label"], round(r["similarity"], 3)] for r in rows],
                             columns=["similar training text", "label", "similarity"])
        return gr.update(value=frame, visible=bool(rows))

    def on_attention(self, text: str, text_pair: str) -> dict[Any, Any]:
        if not text or not text.strip():
            raise gr.Error("Type a text first.")
        return {self.links["text"]: text, self.links["pair"]: text_pair, self.links["tabs"]: gr.Tabs(selected="attention")}

    @friendly_errors
    def on_predict_file(self, path: str | None, text_column: str, model: str | None,
                        progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        """Predict every row of an uploaded file: the CSV, its first rows, and the scores when it has labels."""
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
        updates: dict[Any, Any] = {self.result_file: str(out), self.preview: pd.read_csv(out, nrows=50)}
        message = f"Predicted {summary['rows']} rows: {summary['predicted']}"
        if summary.get("true_labels") is not None:
            scored = self.actions.score_predictions(loaded.labels, summary)
            updates.update(self.evaluate.show(scored))
            report = scored["report"]
            score = (f"micro F1 {report['f1_micro']:.4f}" if report.get("multi_label")
                     else f"accuracy {report['accuracy']:.4f}")
            message += f" · {score} against its labels (details under 'How good is this model?')"
        info(message)
        return updates
