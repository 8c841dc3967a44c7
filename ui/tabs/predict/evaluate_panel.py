"""How good is the model in view: its scores on a run's validation set or on a labelled file.

Shows accuracy, macro and weighted F1, a per-class table, the confusion matrix (choose a true and a
predicted class to list that cell's examples), the most confident mistakes, calibration (reliability
diagram and ECE) and, for two classes, a decision-threshold slider that re-scores instantly. The
evaluation itself is kept on the server under a token (``ui.api.evaluations``); the figures are
``core.plots.evaluation``'s (``ui.api.figures``). A multi-label model shows micro and macro F1, subset
accuracy and Hamming loss, per-label scores with each label's threshold and TP/FP/FN/TN (choose a label
and an outcome to list its rows) and every label's precision-recall curve.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api import figures
from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.evaluations import OUTCOMES
from ui.i18n.languages import trf
from ui.tabs.busy import busy, cancel_button
from ui.tabs.format import md_escape

EXAMPLE_COLUMNS = ["text", "true", "predicted", "confidence"]


def multilabel_markdown(report: dict[str, Any]) -> str:
    info = report.get("info") or {}
    line = trf("**{0} rows**, multi-label · micro F1 **{1}** · macro F1 **{2}** · subset accuracy **{3}** · Hamming "
               "loss **{4}** · calibration error per label decision **{5}** · each label chosen at its own threshold",
               report.get("samples", "?"), f"{report['f1_micro']:.4f}", f"{report['f1_macro']:.4f}",
               f"{report['subset_accuracy']:.4f}", f"{report['hamming_loss']:.4f}", f"{report['ece']:.4f}")
    line += calibration_markdown(report.get("training_calibration"))
    if info.get("precision"):
        line += trf(" · scored in {0}, texts cut at {1} tokens", info["precision"], info.get("max_length", "?"))
    return line


def calibration_markdown(record: dict[str, Any] | None) -> str:
    """The end of training's temperature scaling (metrics.json's ``calibration``): validation ECE before and after."""
    if not record or "ece_before" not in record:
        return ""
    if not record.get("applied"):
        return trf(" · not calibrated (validation ECE **{0}**)", f"{record['ece_before']:.4f}")
    before, after = record["ece_before"], record["ece_after"]
    return trf(" · calibrated at the end of training: validation ECE **{0}** before, **{1}** after", f"{before:.4f}",
               f"{after:.4f}")


def per_label_frame(report: dict[str, Any]) -> pd.DataFrame:
    rows = [[label, s["threshold"], round(s["precision"], 4), round(s["recall"], 4), round(s["f1"], 4), s["support"],
             s["tp"], s["fp"], s["fn"], s["tn"]] for label, s in report["per_label"].items()]
    return pd.DataFrame(rows, columns=["label", "threshold", "precision", "recall", "F1", "support", "TP", "FP", "FN",
                                       "TN"])


def metrics_markdown(report: dict[str, Any]) -> str:
    # each part one catalogue entry, whole (the main line, then each clause that applies)
    line = trf("**{0} rows** · accuracy **{1}** · macro F1 **{2}** · weighted F1 **{3}** · expected calibration error "
               "**{4}**", report.get("samples", "?"), f"{report['accuracy']:.4f}", f"{report['f1_macro']:.4f}",
               f"{report.get('f1_weighted', float('nan')):.4f}", f"{report.get('ece', float('nan')):.4f}")
    line += calibration_markdown(report.get("training_calibration"))
    if report.get("threshold") is not None:
        line += trf(" · decision threshold **{0}** for `{1}`", f"{report['threshold']:.2f}",
                    md_escape(report["labels"][1]))
    info = report.get("info") or {}
    if info.get("precision"):
        line += trf(" · scored in {0}, texts cut at {1} tokens", info["precision"], info.get("max_length", "?"))
    return line


def per_class_frame(report: dict[str, Any]) -> pd.DataFrame:
    rows = [[label, round(s["precision"], 4), round(s["recall"], 4), round(s["f1"], 4), s["support"]]
            for label, s in report["per_class"].items()]
    return pd.DataFrame(rows, columns=["class", "precision", "recall", "F1", "support"])


def examples_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([[r["text"], r["true"], r["predicted"], round(float(r["confidence"]), 4)] for r in rows],
                        columns=EXAMPLE_COLUMNS)


def rows_progress(progress: Any) -> Any:
    """``progress(done, total)`` for core, shown as the event's progress bar (with its ETA) on the results."""
    return lambda done, total: progress(done / max(total, 1), desc=f"Scored {done} of {total} rows")


class EvaluatePanel:
    """The evaluation section of the Predict tab."""

    def __init__(self, api: Api, state: dict[str, Any]) -> None:
        self.api = api
        self.state = state
        with gr.Row():
            self.on_val = gr.Button("Evaluate on the run's validation set")
            self.file = gr.File(label="…or a labelled file", type="filepath", elem_classes="ts-upload",
                                file_types=[".csv", ".tsv", ".txt", ".jsonl", ".json", ".parquet", ".xlsx"])
            self.on_file = gr.Button("Evaluate on this file")
            self.cancel = gr.Button("Cancel", variant="stop", interactive=False, scale=0, min_width=90)
        self.summary = gr.Markdown()
        self.threshold = gr.Slider(0.01, 0.99, value=0.5, step=0.01, visible=False,
                                   label="Decision threshold for the second class (binary tasks)")
        with gr.Row():
            self.confusion = gr.Plot(label="Confusion matrix")
            self.per_class_plot = gr.Plot(label="Per class")
        self.per_class = gr.Dataframe(interactive=False, label="Per-class scores")
        with gr.Row():
            self.true_class = gr.Dropdown([], label="True class", scale=1)
            self.pred_class = gr.Dropdown([], label="Predicted class", scale=1)
        self.cell = gr.Dataframe(headers=EXAMPLE_COLUMNS, interactive=False, wrap=True, max_height=300,
                                 label="Examples in this cell of the confusion matrix")
        self.mistakes = gr.Dataframe(headers=EXAMPLE_COLUMNS, interactive=False, wrap=True, max_height=300,
                                     label="Misclassified, most confident first")
        with gr.Row():
            self.reliability = gr.Plot(label="Calibration")
            self.curve = gr.Plot(label="Scores by threshold", visible=False)
        self.token = gr.State(None)
        heavy = {"concurrency_id": "heavy", "api_visibility": "private", "cancel": self.cancel}
        starts = [self.on_val, self.on_file]  # one evaluation at a time: both wait (disabled) while one runs
        events = [busy(self.on_val.click, starts, self.evaluate_validation, self.state["view"], self.outputs, **heavy),
                  busy(self.on_file.click, starts, self.evaluate_file, [self.state["view"], self.file], self.outputs,
                       **heavy)]
        cancel_button(self.cancel, events, starts)  # stops the scoring between batches
        self.threshold.release(self.rescore, [self.token, self.threshold], self.outputs, api_visibility="private")
        for dropdown in (self.true_class, self.pred_class):
            dropdown.input(self.show_cell, [self.token, self.true_class, self.pred_class, self.threshold], self.cell,
                           api_visibility="private")

    @property
    def outputs(self) -> list[Any]:
        return [self.token, self.summary, self.threshold, self.confusion, self.per_class_plot, self.per_class,
                self.true_class, self.pred_class, self.cell, self.mistakes, self.reliability, self.curve]

    @friendly_errors
    def evaluate_validation(self, ref: str | None, progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        return self.show(self.api.evaluations.evaluate_model(ref, progress=rows_progress(progress)))

    @friendly_errors
    def evaluate_file(self, ref: str | None, path: str | None,
                      progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        if not path:
            raise gr.Error("Upload a labelled file to evaluate on.")
        return self.show(self.api.evaluations.evaluate_model(ref, path, progress=rows_progress(progress)))

    @friendly_errors
    def rescore(self, token: str | None, threshold: float) -> dict[Any, Any]:
        return self.show(self.api.evaluations.rescore(token, threshold), keep_threshold=True)

    @friendly_errors
    def show_cell(self, token: str | None, true: str | None, predicted: str | None,
                  threshold: float | None) -> pd.DataFrame:
        if not (token and true and predicted):
            return examples_frame([])
        return examples_frame(self.api.evaluations.cell(token, true, predicted, threshold))

    def show(self, result: dict[str, Any], keep_threshold: bool = False) -> dict[Any, Any]:
        curves = self.api.evaluations.curves(result["token"])
        report = {**result["report"], "info": curves["info"]}
        if report.get("multi_label"):
            return self.show_multilabel(result, curves, report)
        binary = len(report["labels"]) == 2
        updates: dict[Any, Any] = {
            self.token: result["token"], self.summary: metrics_markdown(report),
            self.confusion: figures.confusion_figure(report), self.per_class_plot: figures.per_class_figure(report),
            self.per_class: per_class_frame(report), self.mistakes: examples_frame(result["misclassified"]),
            self.reliability: figures.reliability_figure(report),
            self.curve: gr.update(value=figures.threshold_figure(curves["curve"], report.get("threshold") or 0.5)
                                  if binary else None, visible=binary),
        }
        if not keep_threshold:
            labels = report["labels"]
            updates.update({self.threshold: gr.update(value=0.5, visible=binary),
                            self.true_class: gr.Dropdown(choices=labels, value=None, label="True class"),
                            self.pred_class: gr.Dropdown(choices=labels, value=None, label="Predicted class"),
                            self.cell: examples_frame([])})
        return updates

    def show_multilabel(self, result: dict[str, Any], curves: dict[str, Any], report: dict[str, Any]
                        ) -> dict[Any, Any]:
        """A multi-label evaluation: the outcome bars take the confusion matrix's place, the label and outcome
        dropdowns list a cell's rows, the curves are every label's precision against recall."""
        return {
            self.token: result["token"], self.summary: multilabel_markdown(report),
            self.threshold: gr.update(visible=False),
            self.confusion: figures.label_outcomes_figure(report), self.per_class_plot: figures.per_class_figure(report),
            self.per_class: per_label_frame(report), self.mistakes: examples_frame(result["misclassified"]),
            self.reliability: figures.reliability_figure(report),
            self.curve: gr.update(value=figures.label_curves_figure(curves["curve"]), visible=True),
            self.true_class: gr.Dropdown(choices=report["labels"], value=None, label="Label"),
            self.pred_class: gr.Dropdown(choices=list(OUTCOMES), value=None, label="Outcome"),
            self.cell: examples_frame([]),
        }
