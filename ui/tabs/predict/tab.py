"""Predict tab: one text to class probabilities with the evidence for it, a whole file to a CSV, and
how good the model in view is (``ui.tabs.predict.evaluate_panel``).

For one text: the probability bars (for a multi-label model every label's probability against its
threshold, and the chosen labels), the tokens that drove the prediction towards a label the user picks
(integrated gradients, highlighted; the most probable label first), the most similar training examples
of a run (its stored index), and one click to the Attention tab on the same text. The model in view is named at the top of the tab,
with a warning when its classifier is untrained (the embedded MiniLM): *Predict* then says so instead of showing
random labels. The buttons wait (disabled) while they work (``ui.tabs.busy``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import label_probability_figure
from ui.api.limits import HEAVY
from ui.api.session import model_name
from ui.i18n.languages import tr
from ui.tabs.busy import busy, cancel_button
from ui.tabs.format import label_counts, md_inline
from ui.tabs.notices import info, warn_all
from ui.tabs.predict.evaluate_panel import EvaluatePanel

UNTRAINED = ("The model in view has no trained classifier yet, so its labels would be random: fine-tune it in the "
             "Train tab, or open a trained run (Runs tab, or Earlier run in the Model tab).")


class PredictTab:
    """The Predict tab's components and handlers."""

    def __init__(self, api: Api, state: dict[str, Any], links: dict[str, Any]) -> None:
        self.api = api
        self.state = state
        self.links = links  # the Attention tab's text box and the tabs, for "open in Attention"
        self.model_note = gr.Markdown(f"Model in view: **{model_name(None)}** (change it in the Model tab)")
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
                self.cancel_file = gr.Button("Cancel", variant="stop", interactive=False, scale=0, min_width=90)
            self.result_file = gr.File(label="Predictions (CSV; formula-like cells escaped with ')")
            self.preview = gr.Dataframe(label="First rows", interactive=False, wrap=True, max_height=300)
        with gr.Accordion("How good is this model?", open=False):
            self.evaluate = EvaluatePanel(api, state)
        self.wire()

    def wire(self) -> None:
        view = self.state["view"]
        outputs = [self.label, self.label_plot, self.target, self.evidence, self.similar]
        for trigger in (self.go.click, self.text.submit):
            busy(trigger, [self.go], self.on_predict, [self.text, view, self.pair], outputs, api_visibility="private")
        self.target.input(self.on_explain, [self.text, view, self.pair, self.target], self.evidence,
                          api_visibility="private")
        self.to_attention.click(self.on_attention, [self.text, self.pair],
                                [self.links["text"], self.links["pair"], self.links["tabs"]], api_visibility="private")
        whole = busy(self.run_file.click, [self.run_file], self.on_predict_file, [self.upload, self.column, view],
                     [self.result_file, self.preview, *self.evaluate.outputs], api_name="predict_file",
                     cancel=self.cancel_file, **HEAVY)
        cancel_button(self.cancel_file, [whole], [self.run_file])  # stops the file between batches
        view.change(self.note, view, self.model_note, api_visibility="private")
        self.redraws = [(self.note, view, [self.model_note])]  # server-made text a language switch redraws

    def note(self, ref: str | None) -> str:
        """The model in view, and a warning when its classifier is untrained (its labels would be random)."""
        line = f"Model in view: **{md_inline(model_name(ref))}** (change it in the Model tab)"
        return f"{line}\n\n{UNTRAINED}" if self.api.models.untrained(ref) else line

    @friendly_errors
    def on_predict(self, text: str, model: str | None, text_pair: str = "") -> dict[Any, Any]:
        if (text or "").strip() and self.api.models.untrained(model):  # random labels are no answer
            raise gr.Error(UNTRAINED)
        result = self.api.predictions.predict(text, model or "default", text_pair)
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
            return self.api.predictions.explain(text, model, text_pair, label)
        except gr.Error as exc:
            return f"<p>No explanation: {exc.message}</p>"

    def nearest(self, text: str, model: str | None, text_pair: str) -> Any:
        """The run's most similar training examples (runs trained before the index existed have none)."""
        rows = self.api.predictions.nearest(text, model, text_pair)
        if rows is None:  # not a run, or an older run without an index: no table
            return gr.update(visible=False)
        frame = pd.DataFrame([[r["text"], r["label"], round(r["similarity"], 3)] for r in rows],
                             columns=[tr(c) for c in ("similar training text", "label", "similarity")])
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
        warn_all(self.api.models.load_model(model or "default")["warnings"])
        done = self.api.predictions.predict_file(
            path, text_column, model, progress=lambda done, total: progress(done / total, desc=f"Predicted {done} of {total} rows"))
        summary = done["summary"]
        warn_all(summary.get("warnings", []))  # the model cannot read the file's script
        updates: dict[Any, Any] = {self.result_file: done["path"], self.preview: done["preview"]}
        message = f"Predicted {summary['rows']} rows: {label_counts(summary['predicted'])}"
        if summary.get("true_labels") is not None:
            scored = self.api.evaluations.score_predictions(done["labels"], summary)
            updates.update(self.evaluate.show(scored))
            report = scored["report"]
            score = (f"micro F1 {report['f1_micro']:.4f}" if report.get("multi_label")
                     else f"accuracy {report['accuracy']:.4f}")
            message += f" · {score} against its labels (details under 'How good is this model?')"
        info(message)
        return updates
