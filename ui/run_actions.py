"""Actions on finished runs (compare, rename, tag, delete, evaluate, report, export), as plain functions
with named parameters. Mixed into ``ui.actions.Actions`` and published as API endpoints there.

Evaluations are kept server-side for the last few requests (locked, at most ``EVALUATIONS`` of them) and
referred to by a token, so the UI's threshold slider and confusion-matrix cells re-slice a result without
running the model again; clients never hold the probabilities.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import gradio as gr

from core.data.uploads import upload_path
from ui.common import friendly_errors
from ui.limits import give_back_memory
from ui.session import RUN, ModelRef

EVALUATIONS = 8


class RunActions:
    """Run-management actions; expects ``self.places``, ``self.run_dir``, ``self.load`` and ``self.require_change``."""

    def __init__(self) -> None:
        self._evaluations: OrderedDict[str, Any] = OrderedDict()
        self._evaluations_lock = threading.Lock()

    @friendly_errors
    def diff_runs(self, run_a: str, run_b: str) -> dict[str, Any]:
        """How two runs' configurations and final metrics differ."""
        from core.runs.diff import diff_runs

        return diff_runs(self.run_dir(run_a), self.run_dir(run_b))

    @friendly_errors
    def describe_run(self, run_id: str, name: str | None = None, tags: list[str] | None = None,
                     request: gr.Request = None) -> dict[str, Any]:
        """Rename a run and/or replace its tags (the folder and run id stay)."""
        from core.runs.meta import read_meta, rename_run, tag_run

        self.require_change(request)
        folder = self.run_dir(run_id)
        if name is not None and name.strip():
            rename_run(folder, name.strip())
        if tags is not None:
            current = read_meta(folder).get("tags") or []
            tag_run(folder, add=[t for t in tags if t not in current], remove=[t for t in current if t not in tags])
        return read_meta(folder)

    @friendly_errors
    def delete_run(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Delete a run that is not active (its folder, model and checkpoints)."""
        from core.runs.remove import remove_run

        self.require_change(request)
        return remove_run(self.run_dir(run_id), self.places.root)

    def remember(self, evaluation: Any) -> str:
        token = secrets.token_hex(8)
        with self._evaluations_lock:
            self._evaluations[token] = evaluation
            while len(self._evaluations) > EVALUATIONS:
                self._evaluations.popitem(last=False)
        return token

    def evaluation(self, token: str | None) -> Any:
        with self._evaluations_lock:
            found = self._evaluations.get(token or "")
        if found is None:
            raise gr.Error("That evaluation is no longer kept on the server: evaluate again.")
        return found

    @friendly_errors
    def evaluate(self, run_id: str, upload: str | None = None, threshold: float | None = None,
                 misclassified: int = 20) -> dict[str, Any]:
        """Score a run on its validation set, or on an uploaded labelled file: the full report and a token."""
        from core.inference.evaluate import evaluate_run

        path = upload_path(upload, self.places.uploads) if upload else None
        try:
            result = evaluate_run(self.run_dir(run_id), path)
        finally:
            give_back_memory()
        token = self.remember(result)
        return {"token": token, "report": result.report(threshold), "misclassified": result.misclassified(misclassified)}

    @friendly_errors
    def similar(self, run_id: str, text: str, text_pair: str | None = None, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` training examples of a run closest to ``text`` (from the index stored with the run)."""
        from core.inference.similar import index_folder, similar_examples

        folder = self.run_dir(run_id)
        if not index_folder(folder).is_dir():  # core's message names the server path: clients get the id only
            raise gr.Error(f"Run {run_id} has no similar-examples index yet (it is built in the seconds after a run "
                           "finishes; runs trained before TuneScope kept one have none): try again shortly, or the "
                           f"admin can build it with `python -m core index {run_id}`.")
        return similar_examples(self.load(ModelRef(RUN, run_id).format()), folder, text, text_pair, k=k)

    def score_predictions(self, labels: list[str], summary: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a predicted labelled file from its probabilities: the report and a token, as ``evaluate``."""
        from core.inference.evaluate import score_predicted_file

        result = score_predicted_file(labels, summary)
        return {"token": self.remember(result), "report": result.report(), "misclassified": result.misclassified(20)}

    @friendly_errors
    def report_file(self, run_id: str) -> str:
        """Write the run's one-file HTML report; returns its path (served as a download)."""
        from core.report import build_report

        folder = self.run_dir(run_id)
        target = Path(tempfile.mkdtemp(prefix="tunescope-report-")) / f"{run_id}-report.html"
        return str(build_report(folder, output=target))

    @friendly_errors
    def export_file(self, run_id: str, format: str = "zip") -> str:
        """Export the run's model as a zip of the Hugging Face folder or as ONNX; returns the file's path."""
        from core.export import export_run

        if format not in ("zip", "onnx"):
            raise gr.Error("format must be 'zip' or 'onnx'.")
        name = f"{run_id}.zip" if format == "zip" else f"{run_id}-onnx.zip"
        target = Path(tempfile.mkdtemp(prefix="tunescope-export-")) / name
        return export_run(self.run_dir(run_id), format, target)["output"]
