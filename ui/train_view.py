"""What the Train tab shows about a run, as HTML and markdown built from plain data (no events)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from core import runs
from core.data import Columns
from core.errors import TuneScopeError
from core.plots.training import current_attempt
from core.runs.card import class_weights_text
from ui.common import human_seconds
from ui.i18n import tr


@functools.lru_cache(maxsize=64)
def fewshot_hint(path: str, columns: Columns) -> str:
    """The few-shot recipe's recommendation for this data (``core.fewshot.advice``), or "" (cached: uploads are
    content-addressed, so a path always holds the same bytes)."""
    from core.data import load_labelled
    from core.fewshot import advice

    try:
        data = load_labelled(path, columns)
    except TuneScopeError:
        return ""
    return advice(data) or ""


def pretraining(events: list[dict[str, Any]]) -> bool:
    """True while the run is in its pre-training stage (``core.pretrain``: events with ``stage`` "pretrain",
    ended by a ``stage_done`` event)."""
    staged = any(e.get("stage") == "pretrain" for e in events)
    return staged and not any(e.get("event") == "stage_done" for e in events)


def progress_html(events: list[dict[str, Any]], status: dict[str, Any]) -> str:
    """A progress bar with step, elapsed time, ETA and throughput from the latest step event (of the
    pre-training stage while it runs)."""
    stage = "pretrain" if pretraining(events) else None
    steps = [e for e in current_attempt(events, stage) if e.get("event") in ("step", "started")]
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
    words = {w: tr(w) for w in ("pre-training", "step", "elapsed", "remaining", "samples/s", state)}
    rate = rate.replace("samples/s", words["samples/s"])
    return (
        f'<div class="ts-progress"><div class="ts-bar" style="width:{share:.1%};background:{colour}"></div></div>'
        f'<div class="ts-progress-text"><b>{words[state]}</b>{" · " + words["pre-training"] if stage else ""} · '
        f'{words["step"]} {step}/{total or "?"} · {words["elapsed"]} {human_seconds(last.get("elapsed"))} · '
        f'{words["remaining"]} {eta} {("· " + rate) if rate else ""}</div>'
    )



def status_markdown(run_dir: str | Path, status: dict[str, Any]) -> str:
    """The run's id, state, message and (when done) final metrics."""
    text = f"**Run** `{Path(run_dir).name}` — **{status.get('state')}**"
    if status.get("message"):
        text += f"\n\n{status['message']}"
    metrics = runs.read_json(runs.RunPaths(Path(run_dir)).metrics)
    if metrics and metrics.get("multi_label"):
        text += (f"\n\nValidation: micro F1 **{metrics['f1_micro']:.4f}**, macro F1 **{metrics['f1_macro']:.4f}**, "
                 f"subset accuracy **{metrics['subset_accuracy']:.4f}** on {metrics.get('samples', '?')} rows "
                 "(each label at its tuned threshold)")
    elif metrics:
        text += (f"\n\nValidation: accuracy **{metrics['accuracy']:.4f}**, macro F1 **{metrics['f1_macro']:.4f}** "
                 f"on {metrics.get('samples', '?')} rows")
    config = runs.read_json(runs.RunPaths(Path(run_dir)).config, {}) or {}
    resolved = config.get("resolved") or {}
    if resolved.get("device"):
        text += (f"\n\nDevice **{resolved['device']}**, precision **{resolved.get('precision')}**"
                 + (", class weights " + class_weights_text(resolved["class_weights"])
                    if resolved.get("class_weights") else "")
                 + (", positive weights per label " + class_weights_text(resolved["positive_weights"])
                    if resolved.get("positive_weights") else "")
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


def plan_markdown(base: str, data: str, columns: dict[str, Any] | None) -> str:
    """What *Start training* will do, in one line: which base model, which data and columns."""
    if not columns:
        return f"**Start training** will fine-tune **{base}** — first choose data in the Data tab."
    detail = f"text `{columns.get('text_column')}`, label `{columns.get('label_column')}`"
    if columns.get("text_pair_column"):
        detail += f", second text `{columns['text_pair_column']}`"
    return f"**Start training** will fine-tune **{base}** on **{data}** ({detail}) into a new run."


def run_choices(listed: list[dict[str, Any]], with_model: bool = False) -> list[tuple[str, str]]:
    """(label, run id) for runs in the catalog, optionally only those with a saved model."""
    return [(f"{r['run_id']} · {r['state']}" + (f" · acc {r['accuracy']:.3f}" if r.get("accuracy") is not None else ""),
             r["run_id"]) for r in listed if r["has_model"] or not with_model]
