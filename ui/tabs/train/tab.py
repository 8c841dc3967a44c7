"""Train tab: which base model and data, the settings form, Start/Stop/Resume, live curves, ETA.

The base model is a choice of its own (shown at the top and in the plan line): training never starts
from an earlier run unless the user picked that run as the base. Training runs in a child process
(``ui.api.training``); a ``gr.Timer`` polls the run and redraws only when new events arrived. A finished run becomes the model in view for Predict and Attention; a stopped one only when
the user presses *Use this run's model*. Handlers read their inputs by name and return updates keyed
by component.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.api.endpoints import Api
from ui.api.errors import friendly_errors
from ui.api.figures import loss_figure, metrics_figure, perplexity_figure
from ui.api.models import smollm2_installed
from ui.api.session import DEFAULT, RUN, SMOLLM2, ModelRef, data_name, model_name, run_ref
from ui.i18n.languages import tr, trf
from ui.tabs.busy import busy
from ui.tabs.format import run_choices
from ui.tabs.notices import info
from ui.tabs.train.compare_panel import build_compare_panel
from ui.tabs.train.form import build_form, form_run_config
from ui.tabs.train.format import plan_markdown, pretraining, progress_html, status_markdown
from ui.tabs.train.sweep_panel import build_sweep_panel

# The log box follows its newest line (newest at the bottom) unless the reader scrolled up; back at the bottom, it
# follows again. Gradio's own autoscroll does not scroll when the whole value is replaced, as each poll does.
FOLLOW_LOG = """() => { requestAnimationFrame(() => {
  const box = document.querySelector('#ts-train-log textarea');
  if (!box) return;
  if (!box.dataset.tsFollow) {
    box.dataset.tsFollow = '1';
    box.addEventListener('scroll', () => {
      box.dataset.tsPinned = box.scrollHeight - box.scrollTop - box.clientHeight < 24 ? '1' : '0'; });
  }
  if (box.dataset.tsPinned !== '0') box.scrollTop = box.scrollHeight;
}); }"""


class TrainTab:
    """The Train tab's components and handlers (one instance per app)."""

    def __init__(self, api: Api, state: dict[str, Any]) -> None:
        self.api = api
        self.state = state  # the app's shared BrowserStates: data, base, view, run
        self.build()

    def base_choices(self, current: str | None = None, listed: list[dict[str, Any]] | None = None
                     ) -> list[tuple[str, str]]:
        """The default model, the current base (a hub id or folder chosen in the Model tab), and runs."""
        choices = [(model_name(DEFAULT), DEFAULT)] + ([(model_name(SMOLLM2), SMOLLM2)] if smollm2_installed() else [])
        if current and current not in (DEFAULT, SMOLLM2) and ModelRef.parse(current).kind != RUN:
            choices.append((model_name(current), current))
        listed = self.api.runs.list_runs() if listed is None else listed
        return choices + [(trf("run {0}", label), run_ref(run_id)) for label, run_id in run_choices(listed, True)]

    def base_dropdown(self, current: str | None, listed: list[dict[str, Any]] | None = None) -> Any:
        current = current if self.api.models.usable_ref(current) else DEFAULT
        return gr.Dropdown(choices=self.base_choices(current, listed), value=current)

    def build(self) -> None:
        with gr.Row():
            self.base = gr.Dropdown(self.base_choices(), value=DEFAULT, label="Base model to fine-tune", scale=2,
                                    info="Not the model in view: pick an earlier run here to fine-tune it further.")
            self.plan = gr.Markdown(plan_markdown(model_name(DEFAULT), "", None))
        self.form = build_form()
        with gr.Row():
            self.val_file = gr.File(label="Validation file (optional; else the validation share is split off)",
                                    type="filepath", elem_classes="ts-upload")
            self.pretrain_file = gr.File(label="Unlabelled text for pre-training (optional)", type="filepath",
                                         elem_classes="ts-upload", file_types=[".txt", ".csv", ".tsv", ".jsonl", ".json"])
        editable = not self.api.context.access.read_only
        if not editable:
            gr.Markdown("🔒 This app is read-only: you can watch runs, but not start, stop or resume them.")
        with gr.Row():
            self.start = gr.Button("Start training", variant="primary", visible=editable)
            self.stop = gr.Button("Stop", variant="stop", visible=editable)
            self.resume = gr.Button("Resume", visible=editable)
            self.retry = gr.Button("Retry with half the batch", visible=False)
            self.use_run = gr.Button("Use this run's model in Predict & Attention", visible=False)
            self.attach = gr.Dropdown(run_choices(self.api.runs.list_runs()), label="Watch a run", scale=2)
        with gr.Row():
            self.run_box = gr.Textbox(label="Run", interactive=False, scale=1)
            self.command = gr.Code(label="Equivalent command", language="shell", interactive=False, lines=1, max_lines=8,
                                   wrap_lines=True, scale=2, elem_id="tunescope-command")
        self.status = gr.Markdown("No run yet: pick a base model and data, then press **Start training**.")
        self.progress = gr.HTML(progress_html({"state": "idle"}))
        with gr.Row():
            self.loss_plot = gr.Plot(label="Loss")
            self.metrics_plot = gr.Plot(label="Validation metrics")
        self.log_scale = gr.Checkbox(False, label="Log-scale loss")
        self.log_box = gr.Textbox(label="Log (train.log)", lines=8, max_lines=12, autoscroll=True, interactive=False,
                                  elem_id="ts-train-log")
        self.timer = gr.Timer(1.0, active=False)
        self.drawn = gr.State(-1)  # events already drawn; -1 = draw now, -2 = the watched run has ended
        self.sweep_panel = build_sweep_panel(self.api, self.state, self.form, self.base, self.val_file,
                                             self.pretrain_file)
        self.compare_panel = build_compare_panel(self.api, self.state, self.form, self.val_file)
        self.wire()

    @property
    def poll_outputs(self) -> list[Any]:
        return [self.status, self.progress, self.loss_plot, self.metrics_plot, self.log_box, self.timer, self.drawn,
                self.state["view"], self.retry, self.use_run, self.attach, self.base]

    def on_tick(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        return self.poll(values[self.state["run"]], values[self.drawn], values[self.log_scale], values[self.state["base"]],
                         request=request)

    def poll(self, run_id: str | None, shown: int, log_scale: bool, base: str | None,
             force: bool = False, request: Any = None) -> dict[Any, Any]:
        """Updates for the watched run: status (for a queued run: its place, the run ahead, the estimated start),
        progress, curves (when new events came), log."""
        if not run_id:
            return {}
        watched = self.api.training.watch(run_id, request)
        status, events, active, has_model = watched["status"], watched["events"], watched["active"], watched["has_model"]
        state = status.get("state")
        ended_now = not active and shown >= 0
        read_only = self.api.context.access.read_only
        updates: dict[Any, Any] = {
            self.status: status_markdown(watched["folder"], status), self.progress: progress_html(watched["progress"]),
            self.log_box: watched["log"], self.timer: gr.Timer(active=active),
            self.drawn: len(events) if active else -2,
            self.retry: gr.update(visible=status.get("error_kind") == "out_of_memory" and not read_only),
            self.use_run: gr.update(visible=has_model and not active),
        }
        if (force or len(events) != shown) and pretraining(events):  # its own loss curve and perplexity
            updates[self.loss_plot] = loss_figure(events, log_scale, stage="pretrain")
            updates[self.metrics_plot] = perplexity_figure(events)
        elif force or len(events) != shown:
            updates[self.loss_plot] = loss_figure(events, log_scale)
            updates[self.metrics_plot] = metrics_figure(events)
        if ended_now or force:
            listed = self.api.runs.list_runs()
            updates[self.attach] = gr.Dropdown(choices=run_choices(listed), value=run_id)
            updates[self.base] = self.base_dropdown(base, listed)
        if ended_now and has_model and state == "finished":
            info(f"Run {run_id} finished: Predict and Attention now show its model.")
            updates[self.state["view"]] = run_ref(run_id)
        elif ended_now and has_model and state == "stopped":
            info(f"Run {run_id} stopped with a saved model. Press “Use this run's model” to predict with it.")
        return updates

    def wire(self) -> None:
        st = self.state
        form_inputs = {*self.form.values(), self.val_file, self.pretrain_file, self.base, st["data"]}
        starting = [self.start, self.resume, self.retry]  # one start at a time: they wait (disabled) meanwhile
        busy(self.start.click, starting, self.on_start, form_inputs,
             [st["run"], self.run_box, self.command, *self.poll_outputs], api_visibility="private")
        self.stop.click(self.on_stop, st["run"], self.status, api_visibility="private")
        busy(self.resume.click, starting, self.on_resume, {st["run"], st["base"]}, [self.run_box, *self.poll_outputs],
             api_visibility="private")
        busy(self.retry.click, starting, self.on_retry, {st["run"], st["base"]}, [self.run_box, *self.poll_outputs],
             api_visibility="private")
        self.use_run.click(self.on_use_run, st["run"], st["view"], api_visibility="private")
        self.attach.input(self.watch, {self.attach, st["base"]},
                          [st["run"], self.run_box, self.command, *self.poll_outputs], api_visibility="private")
        watched = {st["run"], self.drawn, self.log_scale, st["base"]}
        self.timer.tick(self.on_tick, watched, self.poll_outputs, api_visibility="private", show_progress="hidden")
        self.log_scale.change(lambda v: self.poll(v[st["run"]], v[self.drawn], v[self.log_scale], v[st["base"]], True),
                              watched, self.poll_outputs, api_visibility="private")
        self.log_box.change(None, js=FOLLOW_LOG, api_visibility="private", queue=False)  # follow the newest line
        self.base.input(lambda ref: ref or DEFAULT, self.base, st["base"], api_visibility="private")
        st["base"].change(self.base_dropdown, st["base"], self.base, api_visibility="private")
        for source in (st["base"], st["data"]):
            source.change(self.show_plan, [st["base"], st["data"]], self.plan, api_visibility="private")

    def show_plan(self, base: str | None, data: dict[str, Any] | None) -> str:
        """The plan line, the sentence saying the base model cannot read the data's text (when it cannot), and the
        few-shot recipe's recommendation when the data has few rows per class."""
        plan = plan_markdown(model_name(base), data_name(data), data)
        hint, length = self.api.data.advice(data), self.api.data.length_plan(data)
        unreadable = self.api.data.read_check(data, base)  # training it then needs the confirmation box
        # the hint is one catalogue template (core.fewshot.ADVICE): translated whole, before the 💡 is put in front
        return (plan + (f" {length}" if length else "") + (f"\n\n⚠️ {unreadable}" if unreadable else "")
                + (f"\n\n💡 {tr(hint)}" if hint else ""))

    @friendly_errors
    def on_start(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        self.api.context.require_change(request)
        base = values[self.base] or DEFAULT
        config = form_run_config(self.api, self.form, values, values[self.state["data"]], base,
                                 values[self.val_file], values[self.pretrain_file])
        launched = self.api.training.launch(config, request)
        run_id = launched["run_id"]
        return {self.state["run"]: run_id, self.run_box: run_id, self.command: launched["command"],
                **self.poll(run_id, -1, False, base, True, request)}

    @friendly_errors
    def on_stop(self, run_id: str | None, request: gr.Request = None) -> str:
        if not run_id:
            raise gr.Error("No run to stop.")
        return status_markdown(self.api.context.run_dir(run_id), self.api.training.stop_training(run_id, request))

    @friendly_errors
    def on_resume(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        run_id = values[self.state["run"]]
        if not run_id:
            raise gr.Error("Choose a run to resume in 'Watch a run'.")
        self.api.training.resume_training(run_id, request)  # refuses a run that is still active, with a message saying so
        return {self.run_box: run_id, **self.poll(run_id, -1, False, values[self.state["base"]], True, request)}

    @friendly_errors
    def on_retry(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        run_id = values[self.state["run"]]
        if not run_id:
            raise gr.Error("No run to retry.")
        self.api.training.retry_smaller_batch(run_id, request)
        return {self.run_box: run_id, **self.poll(run_id, -1, False, values[self.state["base"]], True, request)}

    @friendly_errors
    def on_use_run(self, run_id: str | None) -> str:
        if not run_id:
            raise gr.Error("No run chosen.")
        self.api.context.run_dir(run_id)
        info(f"Predict and Attention now show the model of run {run_id}.")
        return run_ref(run_id)

    @friendly_errors
    def watch(self, values: dict[Any, Any], request: gr.Request = None) -> dict[Any, Any]:
        return self.show_run(values[self.attach], values[self.state["base"]], request)

    def show_run(self, run_id: str | None, base: str | None, request: Any = None) -> dict[Any, Any]:
        """Watch ``run_id``: its command, status, curves and log."""
        if not run_id:
            return {}
        command = self.api.training.command(run_id)
        return {self.state["run"]: run_id, self.run_box: run_id, self.command: command,
                **self.poll(run_id, -1, False, base, True, request)}

    def restore(self, run_id: str | None, base: str | None) -> dict[Any, Any]:
        """On page load: the base-model choice, and re-attach to this session's run or the newest active one."""
        listed = self.api.runs.list_runs()  # this account's runs (the lists built with the page know no account)
        updates: dict[Any, Any] = {self.base: self.base_dropdown(base, listed),
                                   self.attach: gr.Dropdown(choices=run_choices(listed))}
        run_id = self.api.training.restore_run(run_id)
        if run_id:
            updates.update(self.show_run(run_id, base))
        else:  # the idle line, in the page's language (the one built with the page is English)
            updates[self.progress] = progress_html({"state": "idle"})
        return updates

    @property
    def restore_outputs(self) -> list[Any]:
        return [self.base, self.state["run"], self.run_box, self.command, *self.poll_outputs]
