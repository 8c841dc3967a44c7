"""The Sweep panel of the Train tab: a hyper-parameter search over the Train form's settings.

The user picks a budget (trials or minutes) and edits the ranges (``low:high``, ``low:high:log`` or
``a,b,c``; an empty range keeps the form's value); *Start sweep* takes every other setting from the
Train tab's form and starts the driver in the background (``ui.api.sweeps``). A
``gr.Timer`` (2 s, off once the sweep ended) redraws the table of trials and the figure
(``ui.api.figures``); the best run is marked and *Open the best run* makes it the model in view.
Built by :func:`build_sweep_panel` inside the Train tab; handlers take and return values by component.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import trials_parallel, trials_scatter
from ui.api.session import run_ref
from ui.api.sweeps import RANGES, is_active
from ui.tabs.busy import busy
from ui.tabs.format import human_seconds, md_escape
from ui.tabs.notices import info
from ui.tabs.train.form import form_run_config

PLOTS = ("metric by learning rate", "parallel coordinates")
LABELS = {"learning_rate": "Learning rate", "epochs": "Epochs", "batch_size": "Batch size",
          "warmup_ratio": "Warm-up share", "dropout": "Dropout", "weight_decay": "Weight decay"}


def trials_table(status: dict[str, Any]) -> pd.DataFrame:
    """One row per trial: number (★ for the best), state, searched settings, metric, run."""
    names = [entry.split("=", 1)[0] for entry in (status.get("space") or "").split()]
    best = (status.get("best") or {}).get("number")
    rows = []
    for t in status.get("trials", []):
        state = t["state"] + (f" {t['step']}/{t['total_steps']}" if t.get("step") and t.get("total_steps") else "")
        value = f"{t['value']:.4f}" if isinstance(t.get("value"), int | float) else ""
        params = [(f"{t['params'][n]:.3g}" if isinstance(t["params"].get(n), float) else t["params"].get(n, ""))
                  for n in names]
        rows.append([f"★ {t['number']}" if t["number"] == best else str(t["number"]), state, *params, value,
                     t.get("run_id") or "", t.get("message") or ""])
    return pd.DataFrame(rows, columns=["trial", "state", *names, status.get("metric", "metric"), "run", "note"])


def status_markdown(status: dict[str, Any]) -> str:
    """The sweep's state, budget, trial counts and its best trial so far (ids and the space are server-made)."""
    counts, budget = status.get("counts", {}), status.get("budget", {})
    done = sum(counts.get(k, 0) for k in ("complete", "pruned", "failed", "stopped"))
    limit = (f"{budget['trials']} trials" if budget.get("trials") else "") + (
        (" or " if budget.get("trials") else "") + human_seconds(budget["timeout"]) if budget.get("timeout") else "")
    text = (f"**Sweep** `{status['sweep_id']}` — **{status['state']}** · {done} trial(s) done of {limit} "
            f"({counts.get('complete', 0)} complete, {counts.get('pruned', 0)} pruned, {counts.get('failed', 0)} failed)"
            f" · searching `{status.get('space') or ''}`")
    if status.get("message"):
        text += f"\n\n{md_escape(status['message'], 300)}"
    best = status.get("best")
    if best:
        text += (f"\n\n★ Best so far: trial {best['number']}, {status['metric']} **{best['value']:.4f}**, "
                 f"run `{best.get('run_id') or '—'}`")
    return text


def sweep_figure(status: dict[str, Any], kind: str) -> Any:
    if kind == PLOTS[1]:
        return trials_parallel(status["trials"], status["metric"], status.get("best"))
    return trials_scatter(status["trials"], status["metric"], "learning_rate", status.get("best"))


class SweepPanel:
    """The Sweep panel's components and handlers; ``form``/``base``/``val_file`` are the Train tab's controls."""

    def __init__(self, api: Api, state: dict[str, Any], form: dict[str, Any] | None = None,
                 base: Any = None, val_file: Any = None, pretrain_file: Any = None) -> None:
        self.api, self.state = api, state
        self.form, self.base, self.val_file, self.pretrain_file = form or {}, base, val_file, pretrain_file
        editable = not api.context.access.read_only
        with gr.Accordion("Hyper-parameter search (sweep)", open=False):
            gr.Markdown("Try several settings, each as its own run: Optuna picks the next trial from the earlier "
                        "ones and stops trials that fall below the median at the same validation. The first trial "
                        "uses the form's settings. Ranges: `low:high`, `low:high:log` or `a,b,c`; empty = keep "
                        "the form's value.")
            with gr.Row():
                self.budget = gr.Radio(["trials", "minutes"], value="trials", label="Budget", scale=1)
                self.trials = gr.Number(10, precision=0, minimum=1, maximum=100, label="Trials", scale=1)
                self.minutes = gr.Number(60, minimum=1, maximum=1440, label="Time budget (minutes)", scale=1)
            with gr.Row():
                self.ranges = {name: gr.Textbox(RANGES[name], label=LABELS[name], max_lines=1) for name in RANGES}
            with gr.Row():
                self.start = gr.Button("Start sweep", variant="primary", visible=editable)
                self.stop = gr.Button("Stop sweep", variant="stop", visible=editable)
                self.watch = gr.Dropdown(self.choices(), label="Watch a sweep", scale=2)
            self.status = gr.Markdown("No sweep yet.")
            self.table = gr.Dataframe(interactive=False, wrap=True, max_height=320, label="Trials")
            self.kind = gr.Radio(list(PLOTS), value=PLOTS[0], label="Figure")
            self.plot = gr.Plot(label="Trials")
            with gr.Row():
                self.best_run = gr.Textbox(label="Best run", interactive=False, scale=2)
                self.open_best = gr.Button("Open the best run in Predict & Attention", visible=False, scale=1)
            self.timer = gr.Timer(2.0, active=False)
            self.sweep = gr.State(None)
        self.wire()

    def choices(self) -> list[tuple[str, str]]:
        return [(f"{s['sweep_id']} · {s['state']}", s["sweep_id"]) for s in self.api.sweeps.list_sweeps()]

    @property
    def poll_outputs(self) -> list[Any]:
        return [self.status, self.table, self.plot, self.best_run, self.open_best, self.timer]

    def wire(self) -> None:
        private = {"api_visibility": "private"}
        inputs = {*self.form.values(), *self.ranges.values(), self.budget, self.trials, self.minutes,
                  self.state["data"], self.state["base"], *(c for c in (self.base, self.val_file, self.pretrain_file) if c is not None)}
        busy(self.start.click, [self.start], self.on_start, inputs, [self.sweep, self.watch, *self.poll_outputs],
             **private)
        self.stop.click(self.on_stop, self.sweep, self.status, **private)
        self.watch.input(self.on_watch, self.watch, [self.sweep, *self.poll_outputs], **private)
        self.timer.tick(self.poll, [self.sweep, self.kind], self.poll_outputs, show_progress="hidden", **private)
        self.kind.change(self.poll, [self.sweep, self.kind], self.poll_outputs, **private)
        self.open_best.click(self.on_open_best, self.sweep, self.state["view"], **private)

    def poll(self, sweep_id: str | None, kind: str = PLOTS[0]) -> dict[Any, Any]:
        """Updates for the watched sweep: status, table, figure, best run; the timer runs while it is active."""
        if not sweep_id:
            return {}
        status = self.api.sweeps.sweep_status(sweep_id)
        best = (status.get("best") or {}).get("run_id")
        return {self.status: status_markdown(status), self.table: trials_table(status),
                self.plot: sweep_figure(status, kind), self.best_run: best or "",
                self.open_best: gr.update(visible=bool(best)), self.timer: gr.Timer(active=is_active(status))}

    def config(self, values: dict[Any, Any]) -> Any:
        """The base run configuration from the Train tab's form (the settings that are not searched)."""
        base = (values.get(self.base) if self.base is not None else None) or values[self.state["base"]]
        return form_run_config(self.api, self.form, values, values[self.state["data"]], base,
                               values.get(self.val_file), values.get(self.pretrain_file))

    @friendly_errors
    def on_start(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        self.api.context.require_change(request)
        space = {name: values[box] for name, box in self.ranges.items()}
        by_trials = values[self.budget] == "trials"
        started = self.api.sweeps.launch_sweep(self.config(values), space, values[self.trials] if by_trials else None,
                                            None if by_trials else values[self.minutes], request)
        sweep_id = started["sweep_id"]
        info(f"Sweep {sweep_id} started: its trials appear below and in the Runs tab.")
        return {self.sweep: sweep_id, self.watch: gr.Dropdown(choices=self.choices(), value=sweep_id),
                **self.poll(sweep_id)}

    @friendly_errors
    def on_stop(self, sweep_id: str | None, request: gr.Request = None) -> str:
        if not sweep_id:
            raise gr.Error("No sweep to stop: start one or choose it in 'Watch a sweep'.")
        self.api.sweeps.sweep_stop(sweep_id, request)
        return status_markdown(self.api.sweeps.sweep_status(sweep_id))

    @friendly_errors
    def on_watch(self, sweep_id: str | None) -> dict[Any, Any]:
        return {self.sweep: sweep_id, **self.poll(sweep_id)}

    @friendly_errors
    def on_open_best(self, sweep_id: str | None) -> str:
        best = (self.api.sweeps.sweep_status(sweep_id).get("best") or {}).get("run_id") if sweep_id else None
        if not best:
            raise gr.Error("No trial has completed yet: wait for the first one.")
        self.api.models.load_model(run_ref(best))  # refuses a run without a saved model, in one sentence
        info(f"Predict and Attention now show run {best}, the sweep's best.")
        return run_ref(best)

    def restore(self) -> dict[Any, Any]:
        """On page load: watch the newest active sweep, if any (wire to ``demo.load``)."""
        active = self.api.sweeps.active_sweep()
        if not active:  # this account's sweeps (the list built with the page knows no account)
            return {self.watch: gr.Dropdown(choices=self.choices())}
        return {self.watch: gr.Dropdown(choices=self.choices(), value=active), **self.on_watch(active)}

    @property
    def restore_outputs(self) -> list[Any]:
        return [self.watch, self.sweep, *self.poll_outputs]


def build_sweep_panel(api: Api, state: dict[str, Any], form: dict[str, Any] | None = None, base: Any = None,
                      val_file: Any = None, pretrain_file: Any = None) -> SweepPanel:
    """The Sweep panel inside the current block (mount it in the Train tab after the Start/Stop row)."""
    return SweepPanel(api, state, form, base, val_file, pretrain_file)
