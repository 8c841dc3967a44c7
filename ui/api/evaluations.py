"""Evaluations: how good a run's model is, on its validation set or a labelled file (``/evaluate``), kept on
the server so the UI re-slices a result without running the model again.

Evaluations are kept for the last few requests (locked, at most ``EVALUATIONS`` of them) and referred to
by a token, for the account that asked only: the threshold slider (:meth:`Evaluations.rescore`), a confusion-matrix cell or a label's outcome
(:meth:`Evaluations.cell`) and the curves (:meth:`Evaluations.curves`) read the kept result; clients never
hold the probabilities. The evaluation itself is ``core.inference.evaluate``.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Any

import gradio as gr

from core import runs
from core.inference.evaluate import evaluate_run, score_predicted_file
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import give_back_memory, stoppable
from ui.api.session import RUN, ModelRef

EVALUATIONS = 8
OUTCOMES = {"true positive": "tp", "false positive": "fp", "false negative": "fn", "true negative": "tn"}


class Evaluations:
    """Evaluating runs and re-slicing the kept results, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, evaluation: Any) -> str:
        token = secrets.token_hex(8)
        with self._lock:
            self._kept[token] = (self.context.caller().user, evaluation)
            while len(self._kept) > EVALUATIONS:
                self._kept.popitem(last=False)
        return token

    def evaluation(self, token: str | None) -> Any:
        with self._lock:
            user, found = self._kept.get(token or "", (None, None))
        if found is None or user != self.context.caller().user:
            raise gr.Error("That evaluation is no longer kept on the server: evaluate again.")
        return found

    @friendly_errors
    def evaluate(self, run_id: str, upload: str | None = None, threshold: float | None = None,
                 misclassified: int = 20) -> dict[str, Any]:
        """Score a run on its validation set, or on an uploaded labelled file: the full report and a token."""
        return self.scored(run_id, upload, threshold, misclassified)

    def scored(self, run_id: str, upload: str | None = None, threshold: float | None = None, misclassified: int = 20,
               progress: Any = None) -> dict[str, Any]:
        """``evaluate``, telling ``progress(done, total)`` how many rows are scored."""
        path = self.context.upload_path(upload) if upload else None
        run_dir = self.context.run_dir(run_id)
        try:
            result = evaluate_run(run_dir, path, progress=stoppable(progress))
        finally:
            give_back_memory()
        token = self.remember(result)
        report = result.report(threshold)
        # the end of training's temperature scaling, with the validation ECE before and after (core.job.calibrate)
        report["training_calibration"] = (runs.read_json(runs.RunPaths(run_dir).metrics, {}) or {}).get("calibration")
        return {"token": token, "report": report, "misclassified": result.misclassified(misclassified)}

    @friendly_errors
    def evaluate_model(self, model: str | None, path: str | None = None, progress: Any = None) -> dict[str, Any]:
        """Evaluate the model in view, which must be a run: on its validation set, or on a labelled file the
        browser sent (stored as an upload first); ``progress(done, total)`` hears of the rows scored."""
        ref = ModelRef.parse(model)
        kind, run_id = ref.kind, ref.value
        if kind != RUN:
            raise gr.Error("Evaluation needs a trained run as the model in view: open one in the Model or Runs tab.")
        upload = self.context.store_upload(path) if path else None
        return self.scored(run_id, upload, progress=progress)

    @friendly_errors
    def rescore(self, token: str | None, threshold: float) -> dict[str, Any]:
        """A kept evaluation at another decision threshold (two classes): the report and its mistakes."""
        evaluation = self.evaluation(token)
        return {"token": token, "report": evaluation.report(threshold),
                "misclassified": evaluation.misclassified(20, threshold=threshold)}

    @friendly_errors
    def cell(self, token: str | None, true: str, predicted: str, threshold: float | None = None
             ) -> list[dict[str, Any]]:
        """The rows of one confusion-matrix cell (true, predicted) of a kept evaluation; for a multi-label one,
        the rows of a label with an outcome (``OUTCOMES``)."""
        evaluation = self.evaluation(token)
        if getattr(evaluation, "multi_label", False):
            return evaluation.examples(true, OUTCOMES.get(predicted, predicted), limit=50)
        binary = len(evaluation.labels) == 2
        return evaluation.examples(true, predicted, limit=50, threshold=threshold if binary else None)

    @friendly_errors
    def curves(self, token: str | None) -> dict[str, Any]:
        """What is drawn beside a kept report: how it was scored (``info``) and the decision-threshold curve (two
        classes) or every label's precision-recall curves (multi-label); ``curve`` is None otherwise."""
        evaluation = self.evaluation(token)
        if getattr(evaluation, "multi_label", False):
            curve = evaluation.threshold_curves()
        else:
            curve = evaluation.threshold_curve() if len(evaluation.labels) == 2 else None
        return {"info": getattr(evaluation, "info", {}), "curve": curve}

    def score_predictions(self, labels: list[str], summary: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a predicted labelled file from its probabilities: the report and a token, as ``evaluate``."""
        result = score_predicted_file(labels, summary)
        return {"token": self.remember(result), "report": result.report(), "misclassified": result.misclassified(20)}
