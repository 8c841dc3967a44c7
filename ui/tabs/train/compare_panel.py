"""The Compare panel of the Train tab, and the comparison view the Runs tab mounts too.

:class:`ComparisonView` shows one comparison: its candidates' table (state, validation accuracy and macro-F1,
training time, latency on one text, texts per second, size; ★ for the recommendation, ◆ for the best
trade-offs), the figure of macro-F1 against latency, and the recommendation in one sentence. A ``gr.Timer``
(3 s) follows it while candidates are still training, reading the scores only; once all have ended one call
measures the finished ones on this server. The comparisons to choose from are the account's, so a reload or
the Runs tab opens any of them again. :class:`ComparePanel` adds the choice: base models the app offers crossed
with recipes, one budget, and *Compare* (the Train form's other settings and the Data tab's data are shared).
"""

from __future__ import annotations

import itertools
from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import comparison_figure
from ui.i18n.languages import tr, trf
from ui.tabs.busy import busy
from ui.tabs.format import human_seconds, md_escape
from ui.tabs.notices import info
from ui.tabs.train.form import form_run_config

HEADERS = ["candidate", "state", "accuracy", "macro-F1", "training time", "p50 ms (one text)", "texts/s",
           "size MB", "run"]
RECIPES = [("full fine-tune", "finetune"), ("LoRA", "lora"), ("SetFit (few-shot)", "setfit")]


def comparison_table(result: dict[str, Any]) -> pd.DataFrame:
    """One row per candidate, headers in the page's language."""
    chosen = (result.get("recommended") or {}).get("run_id")
    front = set(result.get("front") or [])
    rows = []
    for r in result.get("rows", []):
        mark = "★ " if r["run_id"] == chosen else "◆ " if r["run_id"] in front else ""
        rows.append([mark + str(r.get("label") or r.get("candidate")), tr(r["state"]), _number(r.get("accuracy")),
                     _number(r.get("f1_macro")), human_seconds(r.get("train_seconds")) if r.get("train_seconds") else "—",
                     r.get("p50_ms") if r.get("p50_ms") is not None else "—",
                     r.get("texts_per_second") if r.get("texts_per_second") is not None else "—",
                     r.get("size_mb") if r.get("size_mb") is not None else "—", r["run_id"]])
    return pd.DataFrame(rows, columns=[tr(h) for h in HEADERS])


def _number(value: Any) -> Any:
    return round(value, 4) if isinstance(value, int | float) else "—"


def recommendation(result: dict[str, Any]) -> str:
    """The recommendation in one sentence, in the page's language."""
    chosen = result.get("recommended")
    pending = result.get("pending") or 0
    if not chosen:
        return tr("No candidate has finished yet.") if pending else tr("No candidate finished.")
    if chosen["reason"] == "best":
        line = trf("Recommended: {0}: the best macro-F1 ({1}) and the fastest of those close to it.",
                   chosen["label"], f"{chosen['f1_macro']:.3f}")
    else:
        line = trf("Recommended: {0}: macro-F1 {1}, within one point of the best ({2}, {3}), and {4}x faster on "
                   "one text.", chosen["label"], f"{chosen['f1_macro']:.3f}", chosen["best_label"],
                   f"{chosen['best_f1_macro']:.3f}", f"{chosen['speedup']:.1f}")
    if pending:
        line += " " + trf("{0} candidate(s) still training.", pending)
    return line


class ComparisonView:
    """One comparison's table, figure and recommendation, with a chooser of the account's comparisons."""

    def __init__(self, api: Api) -> None:
        self.api = api
        with gr.Row():
            self.watch = gr.Dropdown(self.choices(), label="Open a comparison", scale=4)
            self.refresh = gr.Button("↻", size="sm", scale=0, min_width=50)
        self.status = gr.Markdown()
        self.table = gr.Dataframe(headers=[tr(h) for h in HEADERS], interactive=False, wrap=True, visible=False,
                                  column_widths=["24%", "9%", "8%", "8%", "8%", "9%", "8%", "8%", "18%"],
                                  label="Candidates (★ recommended, ◆ best trade-offs)")
        self.plot = gr.Plot(visible=False, label="Macro-F1 against latency")
        self.timer = gr.Timer(3.0, active=False)
        private = {"api_visibility": "private"}
        self.refresh.click(self.on_refresh, self.watch, [self.watch, *self.outputs], **private)
        self.watch.input(self.show, self.watch, self.outputs, concurrency_id="heavy", **private)
        # scores only while candidates train; the tick after the last one ends measures them once, and stops
        self.timer.tick(self.show, self.watch, self.outputs, show_progress="hidden", **private)

    @property
    def outputs(self) -> list[Any]:
        return [self.status, self.table, self.plot, self.timer]

    def choices(self) -> list[tuple[str, str]]:
        listed = self.api.comparisons.list_comparisons()
        return [(f"{c['id']} · {c.get('data') or ''} · {len(c['candidates'])}", c["id"]) for c in listed]

    def restore(self) -> dict[Any, Any]:
        """On page load: this account's comparisons (the list built with the page knows no account)."""
        return {self.watch: gr.Dropdown(choices=self.choices())}

    @property
    def restore_outputs(self) -> list[Any]:
        return [self.watch]

    def on_refresh(self, ident: str | None) -> dict[Any, Any]:
        return {self.watch: gr.Dropdown(choices=self.choices(), value=ident), **(self.show(ident) if ident else {})}

    @friendly_errors
    def show(self, ident: str | None, measure: bool = True) -> dict[Any, Any]:
        if not ident:
            return {}
        first = self.api.comparisons.comparison(ident, measure=False)
        result = first if first["pending"] or not measure else self.api.comparisons.comparison(ident, measure=True)
        budget = result.get("budget") or {}
        amount = trf("{0} epoch(s) each", budget["epochs"]) if budget.get("epochs") else trf(
            "{0} minute(s) each", budget.get("minutes"))
        head = f"**{md_escape(result['id'])}** · {md_escape(result.get('data') or '')} · {amount}"
        return {self.status: f"{head}\n\n{md_escape(recommendation(result))}",
                self.table: gr.update(value=comparison_table(result), visible=True),
                self.plot: gr.update(value=comparison_figure(result), visible=True),
                self.timer: gr.Timer(active=bool(result["pending"]))}


class ComparePanel:
    """The Train tab's Compare panel: candidates, budget, Compare, and the view of the started comparison."""

    def __init__(self, api: Api, state: dict[str, Any], form: dict[str, Any], val_file: Any = None) -> None:
        self.api, self.state, self.form, self.val_file = api, state, form, val_file
        with gr.Accordion("Compare models on this data", open=False):
            gr.Markdown("Train several base models and recipes on the Data tab's data with the same budget, each as a "
                        "run in the queue, and compare validation scores, training time, latency on one text and size. "
                        "The Train form's other settings are shared.")
            with gr.Row():
                self.models = gr.CheckboxGroup(api.comparisons.candidate_models(), value=["default"],
                                               label="Base models", scale=3)
                self.recipes = gr.CheckboxGroup(RECIPES, value=["finetune", "setfit"], label="Recipes", scale=2)
            with gr.Row():
                self.budget = gr.Radio([("epochs", "epochs"), ("minutes", "minutes")], value="epochs",
                                       label="Budget per candidate", scale=1)
                self.amount = gr.Number(1, minimum=0, maximum=1440, label="Epochs or minutes", scale=1)
                self.start = gr.Button("Compare", variant="primary", scale=1,
                                       visible=not api.context.access.read_only)
            self.view = ComparisonView(api)
        inputs = {*self.form.values(), self.models, self.recipes, self.budget, self.amount, self.state["data"],
                  self.state["base"], *([self.val_file] if self.val_file is not None else [])}
        busy(self.start.click, [self.start], self.on_start, inputs, [self.view.watch, *self.view.outputs],
             api_visibility="private")

    def restore(self) -> dict[Any, Any]:
        """On page load: the base models this account may compare, and its comparisons."""
        return {self.models: gr.CheckboxGroup(choices=self.api.comparisons.candidate_models()), **self.view.restore()}

    @property
    def restore_outputs(self) -> list[Any]:
        return [self.models, self.view.watch]

    @friendly_errors
    def on_start(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        models, recipes = values[self.models] or [], values[self.recipes] or []
        candidates = [f"{model}@{recipe}" for model, recipe in itertools.product(models, recipes)]
        if len(candidates) < 2:
            raise gr.Error("Pick at least two candidates: two base models, or two recipes.")
        amount = values[self.amount] or 0
        by_minutes = values[self.budget] == "minutes"
        config = form_run_config(self.api, self.form, values, values[self.state["data"]], values[self.state["base"]],
                                 values.get(self.val_file))
        started = self.api.comparisons.launch_comparison(config, candidates, None if by_minutes else amount,
                                                         amount if by_minutes else None, request)
        ident = started["comparison_id"]
        info(f"Comparison {ident} started: {len(candidates)} runs in the queue.")
        return {self.view.watch: gr.Dropdown(choices=self.view.choices(), value=ident), **self.view.show(ident)}


def build_compare_panel(api: Api, state: dict[str, Any], form: dict[str, Any], val_file: Any = None) -> ComparePanel:
    """The Compare panel inside the current block (the Train tab mounts it after the sweep panel)."""
    return ComparePanel(api, state, form, val_file)
