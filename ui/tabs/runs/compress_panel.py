"""The Compress panel of the Runs tab: an 8-bit copy or a distilled student of the selected run, and any
compressed run measured against its parent (accuracy, single-text latency, throughput, size, layers).

*Compress* calls ``/compress_run``: an 8-bit copy is ready at once and is measured straight away; a student is a
normal run that goes through the queue (the Train tab's *Watch a run* follows it), measured here once finished with
*Compare with its parent* (``/compression``). Leaves out the work itself (``core.compress`` through ``ui.api``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.i18n.languages import tr, trf
from ui.tabs.busy import busy
from ui.tabs.format import md_escape
from ui.tabs.notices import info

HEADERS = ["run", "accuracy", "macro-F1", "p50 ms (one text)", "p90 ms", "texts/s", "size MB", "layers"]
METHODS = [("8-bit (int8), ready at once", "int8"), ("Distil into a smaller student (trains a run)", "distil")]


def side_by_side_table(measured: dict[str, Any]) -> pd.DataFrame:
    """Parent and compressed run as two rows, headers in the page's language."""
    rows = []
    for row, role in zip(measured["rows"], ("parent", measured["method"]), strict=True):
        rows.append([f"{row['run']} ({tr(role)})", _number(row.get("accuracy")), _number(row.get("f1_macro")),
                     row["p50_ms"], row["p90_ms"], row["texts_per_second"], row["size_mb"], row["layers"]])
    return pd.DataFrame(rows, columns=[tr(h) for h in HEADERS])


def _number(value: Any) -> Any:
    return round(value, 4) if isinstance(value, int | float) else "—"


def verdict(measured: dict[str, Any]) -> str:
    """One sentence: how much faster and smaller, and what it cost in accuracy."""
    speed, size, change = measured.get("speedup"), measured.get("size_ratio"), measured.get("accuracy_change")
    if not speed or not size:
        return ""
    if change is None:
        return trf("{0}x faster on one text, {1} of the size.", f"{speed:.1f}", f"{size:.0%}")
    return trf("{0}x faster on one text, {1} of the size, accuracy {2} points.", f"{speed:.1f}", f"{size:.0%}",
               f"{change:+.1f}")


class CompressPanel:
    """The panel's components and handlers; ``run_id`` holds the selected run's id. ``self.compress_event`` is
    the work's event, for the tab to refresh its list after it."""

    def __init__(self, api: Api, run_id: Any) -> None:
        self.api = api
        self.run_id = run_id
        with gr.Accordion("Compress: smaller and faster", open=False):
            gr.Markdown("Make the selected finished run small and fast for serving on a CPU. *8-bit* quantizes its "
                        "linear layers (ready in under a minute); *distil* trains a student with fewer layers on the run's "
                        "data and its soft labels (a normal run in the queue). Each makes a new run, measured against "
                        "its parent on this server: accuracy, latency on one text, size.")
            with gr.Row():
                self.method = gr.Radio(METHODS, value="int8", label="Method", scale=3)
                self.layers = gr.Number(3, precision=0, minimum=1, maximum=64, label="Student layers (distil)",
                                        scale=1)
            with gr.Row():
                self.go = gr.Button("Compress the selected run", variant="primary")
                self.measure = gr.Button("Compare with its parent")
            self.status = gr.Markdown()
            self.table = gr.Dataframe(headers=[tr(h) for h in HEADERS], interactive=False, visible=False,
                                      label="Side by side, measured on this server")
        buttons = [self.go, self.measure]
        quiet = {"api_visibility": "private", "concurrency_id": "heavy"}
        outputs = [self.status, self.table]
        self.compress_event = busy(self.go.click, buttons, self.on_compress, [run_id, self.method, self.layers],
                                   outputs, show=[self.status], **quiet)
        busy(self.measure.click, buttons, self.on_measure, run_id, outputs, show=[self.status], **quiet)

    @friendly_errors
    def on_compress(self, run_id: str | None, method: str, layers: Any, request: gr.Request = None,
                    progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        if not run_id:
            raise gr.Error("Select a run in the table first.")
        if method == "distil":
            made = self.api.compression.compress_run(run_id, "distil", layers, request=request)
            info(f"Run {made['run_id']} is training the student: watch it in the Train tab.")
            return {self.status: md_escape(trf("Run {0} trains a {1}-layer student of run {2}; compare it with its "
                                               "parent here once it has finished.", made["run_id"], int(layers),
                                               made["parent"])),
                    self.table: gr.update(visible=False)}
        progress(0.0, desc="Scoring the 8-bit model…")
        made = self.api.compression.compress_run(run_id, "int8", request=request)
        progress(0.5, desc="Measuring it against its parent…")
        return self.shown(self.api.compression.compression(made["run_id"], request=request), made["run_id"])

    @friendly_errors
    def on_measure(self, run_id: str | None, request: gr.Request = None,
                   progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:  # noqa: B008
        if not run_id:
            raise gr.Error("Select a run in the table first.")
        progress(0.0, desc="Measuring it against its parent…")
        return self.shown(self.api.compression.compression(run_id, again=True, request=request), run_id)

    def shown(self, measured: dict[str, Any], run_id: str) -> dict[Any, Any]:
        line = trf("Run {0} against run {1}:", run_id, measured["parent"])
        return {self.status: md_escape(f"{line} {verdict(measured)}"),
                self.table: gr.update(value=side_by_side_table(measured), visible=True)}


def build_compress_panel(api: Api, run_id: Any) -> CompressPanel:
    """The panel inside the current Blocks context."""
    return CompressPanel(api, run_id)
