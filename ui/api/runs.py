"""Runs admin: list, compare, rename and tag, delete, report and export the runs of the runs folder
(``/list_runs``, ``/diff_runs``, ``/describe_run``, ``/delete_run``, ``/report_file``, ``/export_file``), and
what the Runs tab reads of a run (its catalog line and events).

Runs are named by run id (a folder name inside the runs folder); renaming, tagging and deleting are refused
to read-only sessions. Reports and exports are written to fresh temporary folders and served as downloads.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from core import runs
from core.export import export_run
from core.report import build_report
from ui.api.context import Context
from ui.api.errors import friendly_errors


class Runs:
    """Run-management operations, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run in the runs folder, newest first (id, state, model, data, metrics)."""
        return [{k: v for k, v in run.items() if k != "run_dir"} for run in runs.list_runs(self.context.places.root)]

    def summary(self, run_id: str) -> dict[str, Any]:
        """A run's line in the catalog (name, state, tags, metrics); {} when the folder is not a run."""
        return runs.run_summary(self.context.run_dir(run_id)) or {}

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """A run's events so far (``events.jsonl``), for its curves."""
        return runs.read_events(self.context.run_dir(run_id))

    @friendly_errors
    def diff_runs(self, run_a: str, run_b: str) -> dict[str, Any]:
        """How two runs' configurations and final metrics differ."""
        return runs.diff_runs(self.context.run_dir(run_a), self.context.run_dir(run_b))

    @friendly_errors
    def describe_run(self, run_id: str, name: str | None = None, tags: list[str] | None = None,
                     request: gr.Request = None) -> dict[str, Any]:
        """Rename a run and/or replace its tags (the folder and run id stay)."""
        self.context.require_change(request)
        folder = self.context.run_dir(run_id)
        if name is not None and name.strip():
            runs.rename_run(folder, name.strip())
        if tags is not None:
            current = runs.read_meta(folder).get("tags") or []
            runs.tag_run(folder, add=[t for t in tags if t not in current], remove=[t for t in current if t not in tags])
        return runs.read_meta(folder)

    @friendly_errors
    def delete_run(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Delete a run that is not active (its folder, model and checkpoints)."""
        self.context.require_change(request)
        return runs.remove_run(self.context.run_dir(run_id), self.context.places.root)

    @friendly_errors
    def report_file(self, run_id: str) -> str:
        """Write the run's one-file HTML report; returns its path (served as a download)."""
        folder = self.context.run_dir(run_id)
        target = Path(tempfile.mkdtemp(prefix="tunescope-report-")) / f"{run_id}-report.html"
        return str(build_report(folder, output=target))

    @friendly_errors
    def export_file(self, run_id: str, format: str = "zip") -> str:
        """Export the run's model as a zip of the Hugging Face folder or as ONNX; returns the file's path."""
        if format not in ("zip", "onnx"):
            raise gr.Error("format must be 'zip' or 'onnx'.")
        name = f"{run_id}.zip" if format == "zip" else f"{run_id}-onnx.zip"
        target = Path(tempfile.mkdtemp(prefix="tunescope-export-")) / name
        return export_run(self.context.run_dir(run_id), format, target)["output"]
