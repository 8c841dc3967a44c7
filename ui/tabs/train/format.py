"""What the Train tab shows about a run, as HTML and Markdown built from plain data: progress, status, plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui.api.training import run_outcome
from ui.i18n.languages import listing, tr, trf
from ui.tabs.format import human_seconds, md_code, md_inline

RESUMING = "Resuming from step {0}: loading the model and the checkpoint…"  # one catalogue entry, its value filled in


def pretraining(events: list[dict[str, Any]]) -> bool:
    """True while the run is in its pre-training stage (``core.pretrain``: events with ``stage`` "pretrain",
    ended by a ``stage_done`` event)."""
    staged = any(e.get("stage") == "pretrain" for e in events)
    return staged and not any(e.get("event") == "stage_done" for e in events)


def progress_line(progress: dict[str, Any]) -> str:
    """The numbers of ``core.runs.progress`` (through ``Training.watch``) as one translated line: while a resume or
    a start loads there is no step count to trust yet and no time left, so it says what happens instead."""
    step = progress.get("step")
    total = progress.get("total_steps") or "?"
    phase = progress.get("phase")
    if phase in (None, "created"):
        return ""
    if phase == "waiting":
        return tr("Waiting in the queue for a device.")
    if phase in ("starting", "loading"):
        if progress.get("resuming") and step:
            return trf(RESUMING, step)
        return tr("Starting: loading the model and the data…")
    trained = human_seconds(progress.get("training_seconds"))
    if phase in ("training", "pretraining"):
        rate = progress.get("samples_per_second")
        return trf("step {0} of {1} · training time {2} · about {3} left · {4} samples/s", step or 0, total, trained,
                   human_seconds(progress.get("remaining_seconds")), f"{rate:.1f}" if rate else "—")
    return trf("step {0} of {1} · training time {2}", step if step is not None else "?", total, trained)


def progress_html(progress: dict[str, Any]) -> str:
    """A progress bar and its line (state, step, training time, time left, samples/s) from the run's numbers
    (``core.runs.progress``: the same the Runs table and the CLI show)."""
    state = progress.get("state") or "idle"
    step, total = progress.get("step"), progress.get("total_steps")
    share = 1.0 if state == "finished" else min(1.0, step / total) if step and total else 0.0
    colour = {"failed": "#c92a2a", "interrupted": "#e67700", "stopped": "#868e96"}.get(state, "#1f5fb4")
    stage = f" · {tr('pre-training')}" if progress.get("stage") == "pretrain" else ""
    line = progress_line(progress)
    return (
        f'<div class="ts-progress"><div class="ts-bar" style="width:{share:.1%};background:{colour}"></div></div>'
        f'<div class="ts-progress-text"><b>{tr(state)}</b>{stage}{" · " + line if line else ""}</div>'
    )


def device_line(resolved: dict[str, Any], weights: dict[str, str]) -> str:
    """What the run trained with — device, precision, weights, dropout, frozen embeddings — each a whole phrase in
    the page's language (``trf``), listed."""
    facts = [trf("Device **{0}**", resolved["device"]), trf("precision **{0}**", resolved.get("precision"))]
    if int(resolved.get("world_size") or 1) > 1:
        facts.insert(1, trf("{0} processes (data parallel)", resolved["world_size"]))
    if "class_weights" in weights:
        facts.append(trf("class weights {0}", weights["class_weights"]))
    if "positive_weights" in weights:
        facts.append(trf("positive weights per label {0}", weights["positive_weights"]))
    if "dropout" in resolved:
        dropout = resolved["dropout"]
        facts.append(tr("dropout off") if dropout == 0.0 else tr("the model's dropout") if dropout == "model"
                     else trf("dropout {0}", dropout))
    if resolved.get("frozen_embedding_weights"):
        facts.append(trf("token embeddings frozen ({0} M weights)", f"{resolved['frozen_embedding_weights'] / 1e6:.1f}"))
    return listing(facts)


def status_markdown(run_dir: str | Path, status: dict[str, Any]) -> str:
    """The run's id, state, message (a queued run's: its place, the run ahead, the estimated start; it names other
    people's runs, so it is made inert) and (when done) final metrics; every paragraph one whole message in the
    page's language."""
    text = trf("**Run** {0} — **{1}**", f"`{Path(run_dir).name}`", tr(str(status.get("state"))))
    if status.get("queue") and status.get("message"):
        text += f"\n\n⏳ {md_inline(tr(status['message']), 600)}"
    elif status.get("message"):
        text += f"\n\n{md_inline(tr(status['message']), 600)}"
    outcome = run_outcome(run_dir)
    metrics, resolved, weights = outcome["metrics"], outcome["resolved"], outcome["weights"]
    if metrics and metrics.get("multi_label"):
        text += "\n\n" + trf("Validation: micro F1 **{0}**, macro F1 **{1}**, subset accuracy **{2}** on {3} rows "
                             "(each label at its tuned threshold)", f"{metrics['f1_micro']:.4f}",
                             f"{metrics['f1_macro']:.4f}", f"{metrics['subset_accuracy']:.4f}", metrics.get("samples", "?"))
    elif metrics:
        text += "\n\n" + trf("Validation: accuracy **{0}**, macro F1 **{1}** on {2} rows", f"{metrics['accuracy']:.4f}",
                             f"{metrics['f1_macro']:.4f}", metrics.get("samples", "?"))
    if resolved.get("device"):
        text += "\n\n" + device_line(resolved, weights)
    overlap = resolved.get("train_val_overlap") or {}
    if overlap.get("val_rows_in_train"):
        text += "\n\n⚠️ " + trf("{0} validation row(s) ({1}) also appear in the training data: validation scores "
                                "will look better than on unseen text.", overlap["val_rows_in_train"],
                                f"{overlap.get('val_share_in_train', 0):.1%}")
    if overlap.get("train_rows_left_out"):
        text += "\n\n" + trf("{0} training row(s) whose text is also in the validation file were left out of "
                             "training, so validation scores are measured on unseen text.",
                             f"{overlap['train_rows_left_out']:,}")
    return text


def plan_markdown(base: str, data: str, columns: dict[str, Any] | None) -> str:
    """What *Start training* will do, in one line: which base model, which data and columns."""
    if not columns:
        return trf("**Start training** will fine-tune **{0}** — first choose data in the Data tab.", md_inline(base))
    text, label = md_code(columns.get("text_column")), md_code(columns.get("label_column"))
    detail = (trf("text {0}, label {1}, second text {2}", text, label, md_code(columns["text_pair_column"]))
              if columns.get("text_pair_column") else trf("text {0}, label {1}", text, label))
    return trf("**Start training** will fine-tune **{0}** on **{1}** ({2}) into a new run.", md_inline(base),
               md_inline(data), detail)
