"""The model card (``README.md``) written into each finished run folder (single- or multi-label).

Its settings table is derived from the declarations in ``core.config`` (every setting, its value and
whether it is the default), followed by what the run resolved (device, precision, class weights, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.files import atomic_write
from core.settings import specs


def class_weights_text(weights: dict[str, float] | list[float] | None) -> str:
    """'neg 2.50, pos 0.62' from config.json's class weights (label -> weight), or 'off'."""
    if not weights:
        return "off"
    if isinstance(weights, dict):
        return ", ".join(f"{label} {float(w):.2f}" for label, w in weights.items())
    return ", ".join(f"{float(w):.2f}" for w in weights)


def write_model_card(run_dir: Path, config: RunConfig, report: dict[str, Any], how: str) -> Path:
    """Write a short model card: base model, data, labels, settings and final metrics.

    ``how`` says how the model was made, in the card's first sentence (the job composes it from the recipe
    and the pre-training stage: "pre-trained on unlabelled text, then fine-tuned")."""
    r = config.resolved
    weights_text = class_weights_text(r.get("class_weights"))
    dropout = r.get("dropout", "model")
    dropout_text = "off" if dropout == 0 else "as the base model" if dropout == "model" else str(dropout)
    multi = bool(report.get("multi_label"))
    use_args = ", top_k=None" if multi else ""  # multi-label: every label's probability, to compare with its threshold
    if multi:
        weights_text = "off; per-label positive weights " + class_weights_text(r.get("positive_weights"))
    text = f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [tunescope, text-classification]
---
# {Path(run_dir).name}

{"Multi-label text classifier (a sigmoid per label: any number of labels per text)" if multi else "Text classifier"} {how} with TuneScope from `{config.model}` on `{Path(config.data.train_file).name}`
(text column `{config.data.text_column}`, label column `{config.data.label_column}`
{f", second text column `{config.data.text_pair_column}`" if config.data.text_pair_column else ""}).

Labels: {", ".join(f"`{label}`" for label in config.labels)}

## Use
```python
from transformers import pipeline
classifier = pipeline("text-classification", model="{Path(run_dir).resolve() / 'model'}"{use_args})
classifier("your text here"){"  # a label applies when its score reaches its label_thresholds value in config.json"
                             if multi else ""}
```

{results_section(report)}
{calibration_text(report.get("calibration"))}

## Training settings
{settings_table(config)}

Resolved on this machine: device {r.get('device')}{parallel_text(r)}, precision {r.get('precision')}, class weights {weights_text},
dropout {dropout_text}, token embeddings {"frozen" if r.get("frozen_embedding_weights") else "trained"}.
"""
    path = Path(run_dir) / "README.md"
    atomic_write(path, text)
    return path


def settings_table(config: RunConfig) -> str:
    """A markdown table of every declared setting with its value (non-defaults in bold)."""
    rows = ["| setting | value | meaning |", "|---|---|---|"]
    for settings in (config.data, config.train):
        for item, spec in specs(type(settings)):
            if item.name == "train_file":
                continue
            value = getattr(settings, item.name)
            text = "off" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
            text = f"**{text}**" if value != item.default else text
            rows.append(f"| {item.name} | {text} | {spec.help.replace('|', '/')} |")
    return "\n".join(rows)


def calibration_text(record: dict[str, Any] | None) -> str:
    """What calibration did (``metrics.json``'s ``calibration``, written by ``core.job.calibrate``), or ""."""
    if not record:
        return ""
    if not record.get("applied"):
        return f"\nProbabilities not calibrated: {record.get('reason', 'unknown')}; the model is left as it is.\n"
    t = record["temperature"]
    shown = f"{t:.4f}" if isinstance(t, int | float) else "one per label (" + ", ".join(f"{v:.3f}" for v in t) + ")"
    return (f"\nProbabilities calibrated: temperature {shown}, fitted on {record['rows']} validation rows and folded "
            f"into the output layer (expected calibration error {record['ece_before']:.3f} before, "
            f"{record['ece_after']:.3f} after). It is `tunescope_temperature` in `model/config.json`; the raw "
            "model's logits are these times the temperature (multiply the output layer's weight and bias by it)."
            + (" The decision thresholds are moved with it (the same decisions)." if record.get("multi_label") else "")
            + "\n")


def results_section(report: dict[str, Any]) -> str:
    """The validation results: scores and a per-class table (multi-label: per label, with its threshold)."""
    head = f"## Validation results ({report.get('samples', '?')} rows)\n"
    if not report.get("multi_label"):
        rows = "\n".join(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
                         for label, s in report["per_class"].items())
        return (head + f"accuracy **{report['accuracy']:.4f}**, macro F1 **{report['f1_macro']:.4f}**\n\n"
                "| label | precision | recall | F1 | support |\n|---|---|---|---|---|\n" + rows)
    rows = "\n".join(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} | "
                     f"{s['threshold']:.2f} |" for label, s in report["per_label"].items())
    return (head + f"Multi-label: micro F1 **{report['f1_micro']:.4f}**, macro F1 **{report['f1_macro']:.4f}**, "
            f"subset accuracy (every label of a row right) **{report['subset_accuracy']:.4f}**, at per-label "
            "decision thresholds tuned on these validation rows (stored as `label_thresholds` in "
            "`model/config.json`).\n\n"
            "| label | precision | recall | F1 | support | threshold |\n|---|---|---|---|---|---|\n" + rows)


def parallel_text(resolved: dict[str, Any]) -> str:
    """' (2 processes, data parallel)' for a run trained on several devices at once; nothing for one."""
    world = int(resolved.get("world_size") or 1)
    return f" ({world} processes, data parallel)" if world > 1 else ""
