"""What the Model tab shows, as Markdown and tables built from plain data: a model's description, the two
model choices, and the playground's predictions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ui.api.session import model_name
from ui.i18n.languages import listing, tr, trf
from ui.tabs.format import human_count, md_code, md_inline


def _header(*names: str) -> str:
    """A table's header row, each column name one catalogue entry in the request's language."""
    return "| " + " | ".join(tr(name) for name in names) + " |\n" + "|---" * len(names) + "|\n"


def model_markdown(info: dict[str, Any]) -> str:
    labels = listing([md_code(label) for label in info["labels"]])
    # class names, model types, devices and dtypes are the library's names for them: shown as code, untranslated
    return (
        f"### {md_inline(tr(info['name']))}\n"  # the embedded models' names are catalogue entries
        # two tables of four columns, not one of eight: at 1280 px the eight did not fit their column
        + _header("architecture", "type", "layers", "heads")
        + f"| {md_code(info['architecture'])} | {md_code(info['model_type'])} | {info['layers']} | {info['heads']} |\n\n"
        + _header("hidden", "parameters", "device", "dtype")
        + f"| {info['hidden_size']} | {human_count(info['parameters'])} | {md_code(info['device'])} | "
        f"{md_code(info['dtype'])} |\n\n"
        + trf("Labels: {0}", labels)
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
