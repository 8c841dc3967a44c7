"""Train tab: hyper-parameters, Start/Stop/Resume, live loss and metric curves, progress and ETA.

Training runs in a child process (``core.runs.start_run``); a ``gr.Timer`` polls the run folder and
redraws only when new events arrived. Reopening the page re-attaches to the newest active run.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import gradio as gr

from core import runs
from core.config import DataSettings, RunConfig, TrainSettings, parse_dropout
from core.plots.training import current_attempt, loss_figure, metrics_figure
from core.runs.card import class_weights_text
from ui.common import friendly_errors, human_seconds
from ui.live import log_tail, view_for

TRAIN_DEFAULTS = TrainSettings()


def settings_from(values: dict[str, Any]) -> TrainSettings:
    """TrainSettings from the form's values (0 means 'off' for the optional counts)."""
    def opt(name: str) -> int | None:
        value = values.get(name)
        return int(value) if value else None

    return TrainSettings(
        epochs=float(values["epochs"]), batch_size=int(values["batch_size"]),
        learning_rate=float(values["learning_rate"]), max_length=int(values["max_length"]), seed=int(values["seed"]),
        warmup_ratio=float(values["warmup_ratio"]), lr_scheduler=values["lr_scheduler"],
        gradient_accumulation_steps=int(values["gradient_accumulation_steps"]), max_steps=opt("max_steps"),
        eval_steps=opt("eval_steps"), early_stopping_patience=opt("early_stopping_patience"),
        metric_for_best_model=values["metric_for_best_model"], class_weights=values["class_weights"],
        device=values["device"], precision=values["precision"], lora=bool(values["lora"]),
        lora_rank=int(values["lora_rank"]), dropout=parse_dropout(values.get("dropout", "auto")),
        freeze_embeddings=not values.get("train_embeddings", False),
        max_grad_norm=float(TRAIN_DEFAULTS.max_grad_norm if values.get("max_grad_norm") in (None, "")
                            else values["max_grad_norm"]),
    )


def cli_command(config: RunConfig) -> str:
    """The equivalent headless command for a run configuration."""
    t, d = config.train, config.data
    parts = ["python", "-m", "core", "train", d.train_file, "--model", config.model, "--epochs", f"{t.epochs:g}",
             "--batch-size", str(t.batch_size), "--learning-rate", f"{t.learning_rate:g}", "--max-length",
             str(t.max_length), "--seed", str(t.seed)]
    for flag, value in (("--text-column", d.text_column), ("--label-column", d.label_column),
                        ("--text-pair-column", d.text_pair_column), ("--val-data", d.val_file),
                        ("--max-steps", t.max_steps), ("--early-stopping", t.early_stopping_patience)):
        if value:
            parts += [flag, str(value)]
    if not d.val_file:
        parts += ["--val-fraction", f"{d.val_fraction:g}"]
    if t.gradient_accumulation_steps > 1:
        parts += ["--gradient-accumulation", str(t.gradient_accumulation_steps)]
    if t.lora:
        parts += ["--lora", "--lora-rank", str(t.lora_rank)]
    if t.dropout != "auto":
        parts += ["--dropout", str(t.dropout)]
    if not t.freeze_embeddings:
        parts += ["--train-embeddings"]
    if t.max_grad_norm != TRAIN_DEFAULTS.max_grad_norm:
        parts += ["--max-grad-norm", f"{t.max_grad_norm:g}"]
    for flag, value, default in (("--scheduler", t.lr_scheduler, "linear"), ("--class-weights", t.class_weights, "auto"),
                                 ("--device", t.device, "auto"), ("--precision", t.precision, "auto")):
        if value != default:
            parts += [flag, value]
    return " ".join(shlex.quote(p) for p in parts)


def progress_html(events: list[dict[str, Any]], status: dict[str, Any]) -> str:
    """A progress bar with step, elapsed time, ETA and throughput from the latest step event."""
    steps = [e for e in current_attempt(events) if e.get("event") in ("step", "started")]
    last = steps[-1] if steps else {}
    total = last.get("total_steps") or 0
    step = last.get("step") or 0
    state = status.get("state", "?")
    if state == "finished":
        step = total = max(total, 1) if not step else max(step, total)
    share = min(1.0, step / total) if total else 0.0
    colour = {"failed": "#c92a2a", "interrupted": "#e67700", "stopped": "#868e96"}.get(state, "#1f5fb4")
    eta = "—" if state not in ("running", "stopping") else human_seconds(last.get("eta_seconds"))
    rate = f"{last['samples_per_second']:.1f} samples/s" if last.get("samples_per_second") else ""
    return (
        f'<div class="ts-progress"><div class="ts-bar" style="width:{share:.1%};background:{colour}"></div></div>'
        f'<div class="ts-progress-text"><b>{state}</b> · step {step}/{total or "?"} · elapsed '
        f'{human_seconds(last.get("elapsed"))} · remaining {eta} {("· " + rate) if rate else ""}</div>'
    )


def status_markdown(run_dir: str, status: dict[str, Any]) -> str:
    """The run's id, state, message and (when done) final metrics."""
    text = f"**Run** `{Path(run_dir).name}` — **{status.get('state')}**"
    if status.get("message"):
        text += f"\n\n{status['message']}"
    metrics = runs.read_json(runs.RunPaths(Path(run_dir)).metrics)
    if metrics:
        text += (f"\n\nValidation: accuracy **{metrics['accuracy']:.4f}**, macro F1 **{metrics['f1_macro']:.4f}** "
                 f"on {metrics.get('samples', '?')} rows")
    config = runs.read_json(runs.RunPaths(Path(run_dir)).config, {}) or {}
    resolved = config.get("resolved") or {}
    if resolved.get("device"):
        text += (f"\n\nDevice **{resolved['device']}**, precision **{resolved.get('precision')}**"
                 + (", class weights " + class_weights_text(resolved["class_weights"])
                    if resolved.get("class_weights") else "")
                 + ({0.0: ", dropout off", "model": ", the model's dropout"}.get(resolved["dropout"],
                                                                                f", dropout {resolved['dropout']}")
                    if "dropout" in resolved else "")
                 + (f", token embeddings frozen ({resolved['frozen_embedding_weights'] / 1e6:.1f} M weights)"
                    if resolved.get("frozen_embedding_weights") else ""))
    overlap = resolved.get("train_val_overlap") or {}
    if overlap.get("val_rows_in_train"):
        text += (f"\n\n⚠️ {overlap['val_rows_in_train']} validation row(s) "
                 f"({overlap.get('val_share_in_train', 0):.1%}) also appear in the training data: validation "
                 "scores will look better than on unseen text.")
    return text


def all_run_choices(root: str | None) -> list[tuple[str, str]]:
    return [(f"{r['run_id']} · {r['state']}", r["run_dir"]) for r in runs.list_runs(root)]


FORM_FIELDS = ("epochs", "batch_size", "learning_rate", "max_length", "seed", "val_fraction", "warmup_ratio",
               "lr_scheduler", "gradient_accumulation_steps", "max_steps", "eval_steps", "early_stopping_patience",
               "metric_for_best_model", "class_weights", "device", "precision", "lora", "lora_rank", "dropout",
               "train_embeddings", "max_grad_norm")


def _form() -> dict[str, Any]:
    d = TRAIN_DEFAULTS
    fields: dict[str, Any] = {}
    with gr.Row():
        fields["epochs"] = gr.Number(d.epochs, label="Epochs", minimum=0.01, step=0.5)
        fields["batch_size"] = gr.Number(d.batch_size, label="Batch size", precision=0, minimum=1)
        fields["learning_rate"] = gr.Number(d.learning_rate, label="Learning rate", step=1e-5)
        fields["max_length"] = gr.Slider(16, 512, value=d.max_length, step=8, label="Max length (tokens)")
    with gr.Row():
        fields["seed"] = gr.Number(d.seed, label="Seed", precision=0)
        fields["val_fraction"] = gr.Slider(0.05, 0.5, value=0.1, step=0.05, label="Validation share")
        val_file = gr.File(label="Validation file (optional)", type="filepath", height=90)
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            fields["warmup_ratio"] = gr.Slider(0, 0.5, value=d.warmup_ratio, step=0.01, label="Warm-up share")
            fields["lr_scheduler"] = gr.Dropdown(["linear", "cosine", "constant"], value=d.lr_scheduler, label="Decay")
            fields["gradient_accumulation_steps"] = gr.Number(1, label="Gradient accumulation", precision=0, minimum=1)
            fields["max_steps"] = gr.Number(0, label="Max steps (0 = epochs)", precision=0, minimum=0)
        with gr.Row():
            fields["eval_steps"] = gr.Number(0, label="Evaluate every N steps (0 = 4 times)", precision=0, minimum=0)
            fields["early_stopping_patience"] = gr.Number(0, label="Early-stopping patience (0 = off)", precision=0,
                                                          minimum=0)
            fields["metric_for_best_model"] = gr.Dropdown(["f1_macro", "accuracy", "eval_loss"], value="f1_macro",
                                                          label="Best-model metric")
            fields["class_weights"] = gr.Radio(["auto", "on", "off"], value="auto", label="Class weights")
        with gr.Row():
            fields["device"] = gr.Dropdown(["auto", "cpu", "cuda", "mps"], value="auto", label="Device")
            fields["precision"] = gr.Dropdown(["auto", "bf16", "fp16", "fp32"], value="auto", label="Precision")
            fields["lora"] = gr.Checkbox(False, label="LoRA adapters (for large models)")
            fields["lora_rank"] = gr.Number(8, label="LoRA rank", precision=0, minimum=1)
        with gr.Row():
            fields["dropout"] = gr.Dropdown(["auto", "model", "0", "0.1"], value="auto", allow_custom_value=True,
                                            label="Dropout", info="auto: off for runs of up to 2 epochs; "
                                            "model: the model's own rates; or a rate such as 0.1")
            fields["max_grad_norm"] = gr.Number(d.max_grad_norm, label="Clip gradient norm at", minimum=0.01,
                                                info="5 by default (Hugging Face uses 1)")
            fields["train_embeddings"] = gr.Checkbox(False, label="Also train the token embeddings",
                                                     info="frozen by default: faster, and rare words keep "
                                                     "their pre-trained meaning")
    fields["val_file"] = val_file
    return fields


def build(model_source: gr.State, data_choice: gr.State, runs_root: str | None) -> tuple[Any, list[Any]]:
    """Lay out the Train tab; returns the page-load re-attach function and its outputs."""
    run_dir = gr.State(None)
    drawn = gr.State(-1)  # events already drawn; -1 = draw now, -2 = the watched run has ended
    fields = _form()
    with gr.Row():
        start = gr.Button("Start training", variant="primary")
        stop = gr.Button("Stop", variant="stop")
        resume = gr.Button("Resume")
        retry = gr.Button("Retry with half the batch", visible=False)
        attach = gr.Dropdown(all_run_choices(runs_root), label="Watch a run", scale=2, allow_custom_value=True)
    with gr.Row():
        run_folder = gr.Textbox(label="Run folder", interactive=False, scale=1)
        command = gr.Code(label="Equivalent command", language="shell", interactive=False, lines=2, scale=2)
    status_md = gr.Markdown("No run yet: pick a model and data, then press **Start training**.")
    progress = gr.HTML(progress_html([], {"state": "idle"}))
    with gr.Row():
        loss_plot = gr.Plot(label="Loss")
        metrics_plot = gr.Plot(label="Validation metrics")
    log_scale = gr.Checkbox(False, label="Log-scale loss")
    log_box = gr.Textbox(label="Log (train.log)", lines=8, max_lines=12, autoscroll=True, interactive=False)
    timer = gr.Timer(1.0, active=False)

    poll_outputs = [status_md, progress, loss_plot, metrics_plot, log_box, timer, drawn, model_source, retry, attach]

    def poll(current: str | None, shown: int, log: bool, force: bool = False) -> tuple[Any, ...]:
        if not current:
            return (gr.skip(),) * len(poll_outputs)
        status = runs.read_status(current)
        events = view_for(current).refresh()
        active = status.get("state") in runs.ACTIVE_STATES
        redraw = force or len(events) != shown
        finished_now = not active and shown >= 0 and status.get("state") in ("finished", "stopped")
        has_model = (runs.RunPaths(Path(current)).model / "config.json").exists()
        if finished_now and has_model:
            gr.Info(f"Run {Path(current).name} {status['state']}: Predict and Attention now use its model.")
        return (
            status_markdown(current, status),
            progress_html(events, status),
            loss_figure(events, log) if redraw else gr.skip(),
            metrics_figure(events) if redraw else gr.skip(),
            log_tail(current),
            gr.Timer(active=active),
            len(events) if active else -2,
            current if (finished_now and has_model) else gr.skip(),
            gr.update(visible=status.get("error_kind") == "out_of_memory"),
            gr.Dropdown(choices=all_run_choices(runs_root), value=current) if not active or shown < 0 else gr.skip(),
        )

    @friendly_errors
    def start_training(model: str, choice: dict[str, Any] | None, *values: Any) -> tuple[Any, ...]:
        if not choice or not choice.get("path"):
            raise gr.Error("No data yet: upload a labelled file in the Data tab (or use the sample).")
        form = dict(zip([*FORM_FIELDS, "val_file"], values, strict=True))
        config = RunConfig(
            model=model or "default",
            data=DataSettings(train_file=choice["path"], text_column=choice.get("text_column"),
                              label_column=choice.get("label_column"), text_pair_column=choice.get("text_pair_column"),
                              val_file=form["val_file"] or None, val_fraction=float(form["val_fraction"])),
            train=settings_from(form),
        )
        folder = runs.create_run(config, root=runs_root)
        runs.start_run(folder)
        return (str(folder), str(folder), cli_command(runs.load_config(folder)), *poll(str(folder), -1, False, True))

    @friendly_errors
    def stop_training(current: str | None) -> str:
        if not current:
            raise gr.Error("No run to stop.")
        status = runs.request_stop(current)
        return status_markdown(current, status)

    @friendly_errors
    def resume_training(current: str | None) -> tuple[Any, ...]:
        if not current:
            raise gr.Error("Choose a run to resume in 'Watch a run'.")
        runs.resume_run(current)  # refuses a run that is still active, with a RunError saying so
        return (current, current, *poll(current, -1, False, True))

    @friendly_errors
    def retry_smaller(current: str | None) -> tuple[Any, ...]:
        if not current:
            raise gr.Error("No run to retry.")
        folder = runs.retry_smaller_batch(current)
        return (str(folder), str(folder), *poll(str(folder), -1, False, True))

    def watch(current: str | None) -> tuple[Any, ...]:
        return (current, current or "", *poll(current, -1, False, True))

    def reattach() -> tuple[Any, ...]:
        active = str(runs.latest_active_run(runs_root) or "") or None
        return (active, active or "", *poll(active, -1, False, True))

    inputs = [fields[name] for name in FORM_FIELDS] + [fields["val_file"]]
    start.click(start_training, [model_source, data_choice, *inputs], [run_dir, run_folder, command, *poll_outputs],
                api_name="start_training")
    stop.click(stop_training, run_dir, status_md, api_name="stop_training")
    resume.click(resume_training, run_dir, [run_dir, run_folder, *poll_outputs], api_name="resume_training")
    retry.click(retry_smaller, run_dir, [run_dir, run_folder, *poll_outputs], api_name="retry_smaller_batch")
    attach.input(watch, attach, [run_dir, run_folder, *poll_outputs], api_name="watch_run")
    timer.tick(poll, [run_dir, drawn, log_scale], poll_outputs, api_visibility="private", show_progress="hidden")
    log_scale.change(lambda c, s, log: poll(c, s, log, True), [run_dir, drawn, log_scale], poll_outputs,
                     api_visibility="private")
    gr.api(training_status, api_name="training_status")
    return reattach, [run_dir, run_folder, *poll_outputs]


def training_status(run_dir: str) -> dict[str, Any]:
    """A run's status, final metrics and its last events (for scripts polling the app)."""
    status = runs.read_status(run_dir)
    events = view_for(run_dir).refresh()
    return {"status": status, "metrics": runs.read_json(runs.RunPaths(Path(run_dir)).metrics),
            "events": len(events), "last_events": events[-5:]}
