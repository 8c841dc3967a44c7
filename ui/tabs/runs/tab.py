"""Runs tab: the runs this account may see, compared, renamed, tagged, shared, opened, reported, exported, deleted.
A run waiting in the queue shows its place in the table, and once selected its place, the run ahead and the
estimated start.

The table comes from ``ui.api.runs`` (files only, so it survives restarts). Choosing runs
overlays their curves (``compare_figure``) and, for two, shows the config diff (``/diff_runs``). *Open in Predict & Attention* makes a run the model in view; *Use as base*
makes it the base for training. With accounts, *Shared with the lab* shares the selected run (its owner's
choice; private by default). Delete asks for a confirmation and is refused to read-only sessions. A report
or export is a download kept for this account until it is downloaded once or ``--download-minutes`` pass; it
appears under the buttons, which wait (disabled) while the file is written, with its progress shown there.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import compare_figure
from ui.api.session import run_ref
from ui.i18n.languages import tr
from ui.tabs.busy import busy
from ui.tabs.data.suspects_panel import build_suspects_panel
from ui.tabs.format import md_escape, md_inline
from ui.tabs.notices import info
from ui.tabs.runs.compress_panel import build_compress_panel
from ui.tabs.runs.format import COLUMN_WIDTHS, COLUMNS, RUN_COLUMN, diff_markdown, runs_table
from ui.tabs.train.compare_panel import ComparisonView

METRICS = ["loss", "eval_loss", "f1_macro", "accuracy"]


class RunsTab:
    """The Runs tab's components and handlers."""

    def __init__(self, api: Api, state: dict[str, Any]) -> None:
        self.api = api
        self.state = state
        with gr.Row():
            self.refresh = gr.Button("↻ Refresh", size="sm", scale=0, min_width=110)
            self.chosen = gr.Dropdown([], multiselect=True, label="Runs to compare (pick one or more)", scale=4)
            self.metric = gr.Dropdown(METRICS, value="loss", label="Curve", scale=1)
        self.table = gr.Dataframe(headers=COLUMNS, interactive=False, wrap=True, max_height=320,
                                  column_widths=COLUMN_WIDTHS, label="Runs (select a row to choose it)")
        self.curves = gr.Plot(label="Curves")
        self.diff = gr.Markdown()
        with gr.Accordion("Selected run", open=True):
            self.current = gr.Markdown("Select a run in the table.")
            with gr.Row():
                self.open = gr.Button("Open in Predict & Attention", variant="primary")
                self.as_base = gr.Button("Use as base model for training")
                self.report = gr.Button("HTML report")
                self.export_zip = gr.Button("Export (zip)")
                self.export_onnx = gr.Button("Export (ONNX)")
            minutes = f"{api.context.limits.download_minutes:g}"  # shown (with its progress) once a file is asked for
            self.download = gr.File(label=f"Download (kept until downloaded once, at most {minutes} minutes)",
                                    visible=False, elem_id="tunescope-run-download")
            with gr.Row():
                self.name = gr.Textbox(label="Name", max_lines=1, scale=2)
                self.tags = gr.Textbox(label="Tags (comma-separated)", max_lines=1, scale=2)
                self.save_meta = gr.Button("Save name and tags", scale=1)
            self.share = gr.Checkbox(False, label="Shared with the lab (every account can see and use this run; only "
                                                  "you and admins can change it)",
                                     visible=bool(api.context.access.accounts), interactive=True)
            with gr.Row():
                self.delete = gr.Button("Delete run…", variant="stop", visible=not api.context.access.read_only)
                self.confirm = gr.Button("Yes, delete it for good", variant="stop", visible=False)
                self.cancel = gr.Button("Keep it", visible=False)
        self.selected = gr.State(None)
        self.suspects = build_suspects_panel(api, self.selected)  # of the run selected in the table
        self.compress = build_compress_panel(api, self.selected)
        with gr.Accordion("Model comparisons", open=False):
            self.comparisons = ComparisonView(api)
        self.wire()
        for made in (self.suspects.retrain_event, self.compress.compress_event):  # a new run: list it
            made.then(self.on_refresh, None, self.listing_outputs, api_visibility="private")

    @property
    def listing_outputs(self) -> list[Any]:
        return [self.table, self.chosen]

    def wire(self) -> None:
        listing = self.listing_outputs
        self.refresh.click(self.on_refresh, None, listing, api_visibility="private")
        self.table.select(self.on_select, [self.table, self.chosen], [self.selected, self.current, self.name,
                                                                        self.tags, self.chosen, self.share],
                          api_visibility="private")
        self.share.input(self.on_share, [self.selected, self.share], [*listing, self.share], api_visibility="private")
        for trigger in (self.chosen.change, self.metric.change):
            trigger(self.on_compare, [self.chosen, self.metric], [self.curves, self.diff], api_visibility="private")
        quiet = {"api_visibility": "private"}
        busy(self.open.click, [self.open, self.as_base], self.on_open, self.selected, self.state["view"], **quiet)
        busy(self.as_base.click, [self.open, self.as_base], self.on_as_base, self.selected, self.state["base"], **quiet)
        busy(self.save_meta.click, [self.save_meta], self.on_save_meta, [self.selected, self.name, self.tags], listing,
             **quiet)
        self.delete.click(lambda run: self.ask(run, True), self.selected, [self.confirm, self.cancel],
                          api_visibility="private")
        self.cancel.click(lambda run: self.ask(run, False), self.selected, [self.confirm, self.cancel],
                          api_visibility="private")
        st = self.state
        busy(self.confirm.click, [self.confirm, self.cancel], self.on_delete, [self.selected, st["view"], st["base"]],
             [*listing, self.selected, self.current, self.confirm, self.cancel, st["view"], st["base"]], **quiet)
        heavy = {"concurrency_id": "heavy", "api_visibility": "private", "show": [self.download]}
        files = [self.report, self.export_zip, self.export_onnx]  # one file at a time: the buttons wait for it
        busy(self.report.click, files, self.on_report, self.selected, self.download, **heavy)
        busy(self.export_zip.click, files, self.on_export_zip, self.selected, self.download, **heavy)
        busy(self.export_onnx.click, files, self.on_export_onnx, self.selected, self.download, **heavy)

    def listing(self) -> dict[Any, Any]:
        listed = self.api.runs.list_runs()
        return {self.table: runs_table(listed, self.api.training.queue_places()),
                self.chosen: gr.Dropdown(choices=[(r.get("name") or r["run_id"], r["run_id"]) for r in listed])}

    def on_refresh(self) -> dict[Any, Any]:
        return self.listing()

    def on_select(self, table: pd.DataFrame, chosen: list[str] | None, event: gr.SelectData,
                  request: gr.Request = None) -> dict[Any, Any]:
        run_id = str(table.iloc[event.index[0], RUN_COLUMN])  # by place: the headers follow the page's language
        meta = self.api.runs.summary(run_id)
        picked = list(dict.fromkeys([*(chosen or []), run_id]))[-4:]
        state = meta.get("state", "?")
        line = f"**{md_escape(meta.get('name') or run_id)}** ({md_escape(run_id)}) — {md_escape(tr(state))}"
        waiting = self.api.training.queue_text(run_id, request) if state == "queued" else ""
        return {self.selected: run_id, self.name: meta.get("name") or run_id, self.tags: ", ".join(meta.get("tags") or []),
                self.current: line + (f"\n\n⏳ {md_inline(waiting, 600)}" if waiting else ""),
                self.chosen: picked, self.share: bool(meta.get("shared"))}

    @friendly_errors
    def on_share(self, run_id: str | None, shared: bool, request: gr.Request = None) -> dict[Any, Any]:
        self.need(run_id)
        done = self.api.runs.share_run(run_id, bool(shared), request=request)
        info("Shared with the lab." if done["shared"] else "Private again: only you and admins see it.")
        return {**self.listing(), self.share: done["shared"]}

    @friendly_errors
    def on_compare(self, chosen: list[str] | None, metric: str) -> dict[Any, Any]:
        chosen = [c for c in chosen or [] if c]
        if not chosen:
            return {self.curves: None, self.diff: ""}
        names = {run_id: self.api.runs.summary(run_id).get("name") or run_id for run_id in chosen}
        events = {(names.get(run_id, run_id) if names.get(run_id, run_id) == run_id else f"{names[run_id]} ({run_id})"):
                  self.api.runs.events(run_id) for run_id in chosen}
        diff = ""
        if len(chosen) == 2:
            diff = diff_markdown(self.api.runs.diff_runs(*chosen), *chosen)
        return {self.curves: compare_figure(events, metric), self.diff: diff}

    @friendly_errors
    def on_open(self, run_id: str | None) -> str:
        self.need(run_id)
        self.api.models.load_model(run_ref(run_id))  # refuses a run without a saved model, in one sentence
        info(f"Predict and Attention now show run {run_id}.")
        return run_ref(run_id)

    @friendly_errors
    def on_as_base(self, run_id: str | None) -> str:
        self.need(run_id)
        self.api.models.load_model(run_ref(run_id))
        info(f"The Train tab will fine-tune run {run_id} further.")
        return run_ref(run_id)

    @friendly_errors
    def on_save_meta(self, run_id: str | None, name: str, tags: str, request: gr.Request = None) -> dict[Any, Any]:
        self.need(run_id)
        self.api.runs.describe_run(run_id, name=name, tags=[t.strip() for t in (tags or "").split(",") if t.strip()],
                                  request=request)
        info("Saved.")
        return self.listing()

    def ask(self, run_id: str | None, asking: bool) -> dict[Any, Any]:
        show = bool(run_id) and asking
        return {self.confirm: gr.update(visible=show), self.cancel: gr.update(visible=show)}

    @friendly_errors
    def on_delete(self, run_id: str | None, view: str | None, base: str | None,
                  request: gr.Request = None) -> dict[Any, Any]:
        self.need(run_id)
        removed = self.api.runs.delete_run(run_id, request=request)
        info(f"Deleted run {run_id} ({removed.get('bytes', 0) / 1e6:.1f} MB freed).")
        gone = run_ref(run_id)
        return {**self.listing(), self.selected: None, self.current: "Select a run in the table.",
                self.confirm: gr.update(visible=False), self.cancel: gr.update(visible=False),
                self.state["view"]: "default" if view == gone else view,
                self.state["base"]: "default" if base == gone else base}

    @friendly_errors
    def on_report(self, run_id: str | None, progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008
        self.need(run_id)
        progress(0.0, desc="Writing the HTML report…")
        return gr.update(value=str(self.api.runs.report(run_id)), visible=True)

    @friendly_errors
    def on_export(self, run_id: str | None, fmt: str, progress: gr.Progress | None = None) -> Any:
        self.need(run_id)
        if progress is not None:
            progress(0.0, desc="Exporting the model as ONNX…" if fmt == "onnx" else "Zipping the model…")
        return gr.update(value=str(self.api.runs.export(run_id, fmt)), visible=True)

    def on_export_zip(self, run_id: str | None, progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008
        return self.on_export(run_id, "zip", progress)

    def on_export_onnx(self, run_id: str | None, progress: gr.Progress = gr.Progress()) -> Any:  # noqa: B008
        return self.on_export(run_id, "onnx", progress)

    @staticmethod
    def need(run_id: str | None) -> None:
        if not run_id:
            raise gr.Error("Select a run in the table first.")
