"""The suspect-labels panel: a run's most suspect training rows, with drop/relabel checkboxes and a
*Retrain without these* button. Mounted by the Data and Runs tabs with the component holding the run id.

The table lists the given label, the model's suggestion and its confidence (``ui.api.labels``).
Every listed row starts checked to drop; ticking *relabel* gives the row the suggestion instead (it wins
over *drop*); unticking both keeps the row. Retraining starts a new run with the same settings and
records the changes in its ``data_changes.json``. Leaves out the scoring and reading the ticks
(``ui.api.labels``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.labels import ACTIONS, chosen_changes
from ui.i18n.languages import tr
from ui.tabs.busy import busy
from ui.tabs.format import md_escape

DEFAULT_TOP = 20
HEADERS = [*ACTIONS, "row", "text", "given", "suggested", "confidence", "score"]
NUMBERS = ("row", "confidence", "score")


def column_types(columns: list[str]) -> list[str]:
    """Checkboxes for the two action columns, numbers for row/confidence/score, text for the rest."""
    return ["bool" if c in ACTIONS else "number" if c in NUMBERS else "str" for c in columns]


def shown_headers(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its headers in the page's language (the handlers read it back with :func:`read_headers`)."""
    return table.rename(columns={c: tr(c) for c in table.columns if isinstance(c, str)})


def read_headers(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """A table the page sent back, with its headers in English again (``ui.api.labels`` reads them by name)."""
    if table is None:
        return None
    known = [*HEADERS, "text_pair", "label", "issue"]
    return table.rename(columns={tr(c): c for c in known if tr(c) != c})


def panel_table(found: pd.DataFrame) -> pd.DataFrame:
    """The suspects with the two checkbox columns first (drop ticked, relabel not)."""
    table = found.copy()
    table["confidence"] = table["confidence"].round(3)
    table["score"] = table["score"].round(3)
    table.insert(0, "relabel", False)
    table.insert(0, "drop", True)
    return table


class SuspectsPanel:
    """The panel's components and handlers; ``run_id`` is a component (e.g. ``gr.State``) holding a run id.

    ``self.new_run`` (a ``gr.State``) receives the id of the run a retrain started, for the caller to
    chain (``panel.retrain_event.then(...)``) into watching it.
    """

    def __init__(self, api: Api, run_id: Any) -> None:
        self.api = api
        self.run_id = run_id
        with gr.Accordion("Suspect labels", open=False):
            gr.Markdown("Training rows whose label is probably wrong, judged by the run's own model: the given "
                        "label, the model's suggestion and its confidence. Untick rows to keep them, tick "
                        "*relabel* to give a row the suggestion, then retrain with the same settings.")
            with gr.Row():
                self.top = gr.Number(DEFAULT_TOP, label="Rows to list", precision=0, minimum=1, maximum=500, scale=1)
                self.find = gr.Button("Find suspect labels", scale=1)
            # shown once rows are found, with headers in the page's language (the page's first draw has one)
            self.table = gr.Dataframe(headers=HEADERS, datatype=column_types(HEADERS), interactive=True, wrap=True,
                                      max_height=420, static_columns=list(range(2, 12)), visible=False,
                                      label="Most suspect rows (drop / relabel)")
            with gr.Row():
                self.retrain = gr.Button("Retrain without these", variant="primary",
                                         visible=not api.context.access.read_only)
            self.status = gr.Markdown()
        self.new_run = gr.State(None)
        self.wire()

    def wire(self) -> None:
        working = [self.find, self.retrain]  # one at a time: both wait (disabled) while one works
        busy(self.find.click, working, self.on_find, [self.run_id, self.top], [self.table, self.status],
             concurrency_id="heavy", api_visibility="private")
        self.retrain_event = busy(self.retrain.click, working, self.on_retrain, [self.run_id, self.table],
                                  [self.new_run, self.status], api_visibility="private")

    @friendly_errors
    def on_find(self, run_id: str | None, top: float | None) -> tuple[Any, str]:
        if not run_id:
            raise gr.Error("Choose a finished run first.")
        found = self.api.labels.suspect_table(run_id, int(top or DEFAULT_TOP))
        note = (f"{len(found)} most suspect rows of run {md_escape(run_id)}. A high score means the model "
                "disagrees with the given label; check the text before you drop or relabel it.")
        table = panel_table(found)
        return gr.Dataframe(value=shown_headers(table), datatype=column_types(list(table.columns)), visible=True), note

    def on_retrain(self, run_id: str | None, table: pd.DataFrame | None, request: gr.Request = None) -> tuple[Any, str]:
        if not run_id:
            raise gr.Error("Choose a finished run first.")
        drop, relabel = chosen_changes(read_headers(table))
        if not drop and not relabel:
            raise gr.Error("Nothing is ticked: tick rows to drop or relabel first.")
        started = self.api.labels.retrain_fixed(run_id, drop, relabel, request=request)
        return started["run_id"], (f"Started run {md_escape(started['run_id'])} without {len(drop)} rows and with "
                                   f"{len(relabel)} relabelled; the changes are in its data_changes.json.")


def build_suspects_panel(api: Api, run_id: Any) -> SuspectsPanel:
    """Build the panel inside the current Blocks/Tab; ``run_id`` is the component holding the run id."""
    return SuspectsPanel(api, run_id)
