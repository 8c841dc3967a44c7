"""What the Model tab shows, as Markdown and tables built from plain data: a model's description, the two
model choices, and the playground's predictions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ui.api.session import model_name
from ui.tabs.format import human_count, md_code, md_inline


def model_markdown(info: dict[str, Any]) -> str:
    labels = ", ".join(md_code(label) for label in info["labels"])
    return (
        f"### {md_inline(info['name'])}\n"
        # two tables of four columns, not one of eight: at 1280 px the eight did not fit their column
        f"| architecture | type | layers | heads |\n|---|---|---|---|\n"
        f"| {info['architecture']} | {info['model_type']} | {info['layers']} | {info['heads']} |\n\n"
        f"| hidden | parameters | device | dtype |\n|---|---|---|---|\n"
        f"| {info['hidden_size']} | {human_count(info['parameters'])} | {info['device']} | {info['dtype']} |\n\n"
        f"Labels: {labels}"
    )


def choices_markdown(view: str | None, base: str | None) -> str:
    """The two model choices, side by side."""
    return (f"**Model in view** (Predict, Attention): {md_inline(model_name(view))}  \n"
            f"**Base model for training** (Train): {md_inline(model_name(base))}")


def predictions_frame(result: dict[str, Any]) -> pd.DataFrame:
    """One row per guess: the position (its number among the predicted ones), rank, token, probability, text."""
    rows = [{"position": n + 1, "rank": rank + 1, "token": guess["token"], "probability": round(guess["probability"], 4),
             "text": guess["sequence"]}
            for n, guesses in enumerate(result["predictions"]) for rank, guess in enumerate(guesses)]
    return pd.DataFrame(rows, columns=["position", "rank", "token", "probability", "text"])
