"""Runs admin: list, compare, rename and tag, share, delete, report and export the runs of the runs folder
(``/list_runs``, ``/diff_runs``, ``/describe_run``, ``/share_run``, ``/delete_run``, ``/report_file``,
``/export_file``), and what the Runs tab reads of a run (its catalog line and events).

Runs are named by run id (a folder name inside the runs folder), and a caller sees only the runs it may see
(its own, those shared with the lab; an admin all: ``ui.api.access``). Renaming, tagging, sharing and
deleting are its owner's (or an admin's), and refused to read-only sessions. Reports and exports are
written into the caller's download area (``ui.api.downloads``): the API answers with a file Gradio serves
to that account once, never with a server path, within the account's heavy-job and disk limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from core import runs
from core.export import export_run
from core.report import build_report
from ui.api.context import Context
from ui.api.errors import friendly_errors

FORMATS = {"zip": "{run}.zip", "onnx": "{run}-onnx.zip"}


class Runs:
    """Run-management operations, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def list_runs(self, request: gr.Request = None) -> list[dict[str, Any]]:
        """The runs this account may see, newest first (id, state, model, data, metrics, ``shared``, ``mine``;
        an admin also sees each run's ``owner``)."""
        caller = self.context.caller(request)
        listed = []
        for run in runs.list_runs(self.context.places.root):
            sharing = runs.read_sharing(run["run_dir"])
            if not caller.may_see(sharing["owner"], sharing["shared"]):
                continue
            line = {k: v for k, v in run.items() if k != "run_dir"}
            line.update(shared=sharing["shared"], mine=sharing["owner"] == caller.owner)
            if caller.sees_all and caller.accounts:
                line["owner"] = sharing["owner"]
            listed.append(line)
        return listed

    def summary(self, run_id: str) -> dict[str, Any]:
        """A run's line in the catalog (name, state, tags, metrics, shared); {} when the folder is not a run."""
        folder = self.context.run_dir(run_id)
        summary = runs.run_summary(folder) or {}
        return {**summary, "shared": runs.read_sharing(folder)["shared"]} if summary else {}

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """A run's events so far (``events.jsonl``), for its curves."""
        return runs.read_events(self.context.run_dir(run_id))

    @friendly_errors
    def diff_runs(self, run_a: str, run_b: str) -> dict[str, Any]:
        """How two runs' configurations and final metrics differ."""
        return self.context.shown(runs.diff_runs(self.context.run_dir(run_a), self.context.run_dir(run_b)))

    @friendly_errors
    def describe_run(self, run_id: str, name: str | None = None, tags: list[str] | None = None,
                     request: gr.Request = None) -> dict[str, Any]:
        """Rename a run and/or replace its tags (the folder and run id stay)."""
        folder = self.context.own_run(run_id, request)
        if name is not None and name.strip():
            runs.rename_run(folder, name.strip())
        if tags is not None:
            current = runs.read_meta(folder).get("tags") or []
            runs.tag_run(folder, add=[t for t in tags if t not in current], remove=[t for t in current if t not in tags])
        return runs.read_meta(folder)

    @friendly_errors
    def share_run(self, run_id: str, shared: bool = True, request: gr.Request = None) -> dict[str, Any]:
        """Share one of your runs with the lab (every account may then see and use it, but not change it), or
        make it private again with ``shared=False``: ``{"run_id", "shared"}``."""
        if not isinstance(shared, bool):
            raise gr.Error("shared must be true or false.")
        folder = self.context.own_run(run_id, request)
        return {"run_id": folder.name, "shared": runs.share_run(folder, shared)["shared"]}

    @friendly_errors
    def delete_run(self, run_id: str, request: gr.Request = None) -> dict[str, Any]:
        """Delete a run that is not active (its folder, model and checkpoints)."""
        return runs.remove_run(self.context.own_run(run_id, request), self.context.places.root)

    @friendly_errors
    def report(self, run_id: str, request: Any = None) -> Path:
        """Write the run's one-file HTML report into the caller's download area; its path there."""
        folder = self.context.run_dir(run_id, request)
        with self.context.download(f"{folder.name}-report.html", request) as target:
            build_report(folder, output=target)
        return target

    @friendly_errors
    def export(self, run_id: str, format: str = "zip", request: Any = None) -> Path:
        """Export the run's model (a zip of the Hugging Face folder, or ONNX) into the caller's download area."""
        if format not in FORMATS:
            raise gr.Error("format must be 'zip' or 'onnx'.")
        folder = self.context.run_dir(run_id, request)
        with self.context.download(FORMATS[format].format(run=folder.name), request) as target:
            written = Path(export_run(folder, format, target)["output"])
        return written

    @friendly_errors
    def report_file(self, run_id: str, request: gr.Request = None) -> FileData:
        """The run's one-file HTML report, as a file to download (once; it is deleted after the download or
        after ``--download-minutes``)."""
        return self.context.downloads.answer(self.report(run_id, request))

    @friendly_errors
    def export_file(self, run_id: str, format: str = "zip", request: gr.Request = None) -> FileData:
        """The run's model as a zip of the Hugging Face folder (``format="zip"``) or as ONNX (``"onnx"``), as a
        file to download (once; deleted after the download or after ``--download-minutes``)."""
        return self.context.downloads.answer(self.export(run_id, format, request))
