"""The model card (``README.md``) written into each finished run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import RunConfig


def class_weights_text(weights: dict[str, float] | list[float] | None) -> str:
    """'neg 2.50, pos 0.62' from config.json's class weights (label -> weight), or 'off'."""
    if not weights:
        return "off"
    if isinstance(weights, dict):
        return ", ".join(f"{label} {float(w):.2f}" for label, w in weights.items())
    return ", ".join(f"{float(w):.2f}" for w in weights)


def write_model_card(run_dir: Path, config: RunConfig, report: dict[str, Any]) -> Path:
    """Write a short model card: base model, data, labels, settings and final metrics."""
    t, r = config.train, config.resolved
    weights_text = class_weights_text(r.get("class_weights"))
    dropout = r.get("dropout", "model")
    dropout_text = "off" if dropout == 0 else "as the base model" if dropout == "model" else str(dropout)
    rows = "\n".join(
        f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        for label, s in report["per_class"].items()
    )
    text = f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [tunescope, text-classification]
---
# {Path(run_dir).name}

Text classifier fine-tuned with TuneScope from `{config.model}` on `{Path(config.data.train_file).name}`
(text column `{config.data.text_column}`, label column `{config.data.label_column}`
{f", second text column `{config.data.text_pair_column}`" if config.data.text_pair_column else ""}).

Labels: {", ".join(f"`{label}`" for label in config.labels)}

## Use
```python
from transformers import pipeline
classifier = pipeline("text-classification", model="{Path(run_dir).resolve() / 'model'}")
classifier("your text here")
```

## Validation results ({report.get('samples', '?')} rows)
accuracy **{report['accuracy']:.4f}**, macro F1 **{report['f1_macro']:.4f}**

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

## Training settings
epochs {t.epochs}, batch size {t.batch_size} x {t.gradient_accumulation_steps} accumulation, learning rate {t.learning_rate},
{t.lr_scheduler} schedule with {t.warmup_ratio:.0%} warm-up, max length {t.max_length}, seed {t.seed},
device {r.get('device')}, precision {r.get('precision')}, class weights {weights_text}{", LoRA rank " + str(t.lora_rank) if t.lora else ""},
dropout {dropout_text}, token embeddings {"frozen" if r.get("frozen_embedding_weights") else "trained"}, gradient norm clipped at {t.max_grad_norm:g}.
"""
    path = Path(run_dir) / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
