"""Guess which columns of a table hold the text and the label, and check columns a user named.

Guessing looks at a sample of rows: a text column has long, varied, mostly non-numeric cells and a
name like ``text``/``sentence``; a label column has few distinct short values. Cleaning rows and
labels is in ``core.data.labelled``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.errors import DataError

GUESS_SAMPLE_ROWS = 20_000



TEXT_NAMES = ("text", "sentence", "review", "content", "body", "comment", "message", "tweet", "document", "question")



LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "y", "intent", "topic", "tag")



def column_stats(frame: pd.DataFrame) -> list[dict[str, Any]]:
    sample = frame.head(GUESS_SAMPLE_ROWS)
    stats = []
    for name in sample.columns:
        values = sample[name].dropna().astype(str).str.strip()
        values = values[values != ""]
        n = len(values)
        stats.append({
            "name": str(name), "n": n, "distinct": int(values.nunique()),
            "ratio": values.nunique() / max(n, 1), "mean_len": float(values.str.len().mean()) if n else 0.0,
            "numeric": float(pd.to_numeric(values, errors="coerce").notna().mean()) if n else 0.0,
            "words": float(values.str.count(" ").mean()) if n else 0.0,
        })
    return stats



def text_score(s: dict[str, Any]) -> float:
    hint = 2.0 if s["name"].strip().lower() in TEXT_NAMES else 1.0
    numeric = 0.05 if s["numeric"] > 0.9 else 1.0
    return (s["mean_len"] + 3 * s["words"]) * (0.5 + s["ratio"]) * hint * numeric * (s["n"] > 0)



def label_key(s: dict[str, Any]) -> tuple[bool, bool, int, float]:
    plausible = s["distinct"] >= 2 and (s["ratio"] <= 0.5 or (s["distinct"] <= 20 and s["distinct"] < s["n"]))
    hinted = s["name"].strip().lower() in LABEL_NAMES
    return (not plausible, not hinted, s["distinct"], s["mean_len"])



def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """Guess (text column, label column): text is long and varied, label has few distinct values."""
    if frame.shape[1] < 2:
        raise DataError(
            f"Found only {frame.shape[1]} column(s) ({', '.join(map(str, frame.columns))}): the file needs a "
            "text column and a label column separated by a delimiter such as a comma or tab. Check the "
            "delimiter and header row."
        )
    stats = column_stats(frame)
    text = max(stats, key=text_score)
    label = min((s for s in stats if s["name"] != text["name"]), key=label_key)
    return text["name"], label["name"]



def check_column(frame: pd.DataFrame, name: str, role: str) -> None:
    if name not in frame.columns:
        raise DataError(
            f"The {role} column '{name}' does not exist; the file has: {', '.join(map(str, frame.columns))}. "
            "Pick one of those (names are case-sensitive)."
        )



def pick_columns(frame: pd.DataFrame, text: str | None, label: str | None, pair: str | None) -> tuple[str, str]:
    for name, role in ((text, "text"), (label, "label"), (pair, "second text")):
        if name:
            check_column(frame, name, role)
    if not (text and label):
        guessed_text, guessed_label = guess_columns(frame)
        if text and text == guessed_label:
            guessed_label = min((s for s in column_stats(frame) if s["name"] not in (text, pair)), key=label_key)["name"]
        text = text or guessed_text
        label = label or (guessed_label if guessed_label != text else guessed_text)
    if text == label:
        raise DataError(f"The text and label columns are both '{text}': pick two different columns.")
    if pair in (text, label):
        raise DataError(f"The second text column '{pair}' is already the text or label column: pick another one.")
    return text, label
