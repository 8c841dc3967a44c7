"""The column choice (:class:`Columns`); guess which columns of a table hold the text and the label, and check
columns a user named.

Guessing looks at a sample of rows: a text column has long, varied, mostly non-numeric cells and a
name like ``text``/``sentence``; a label column has few distinct short values and is not a
measurement. A text column, guessed or named, must hold text (``core.data.content.not_text``): one of
numbers, ids, dates or links is refused, naming the column and the likely text column. Messages name
columns (cut to 40 characters), never cell values. Cleaning rows and labels is in ``core.data.labelled``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.data.content import continuous, not_text
from core.data.table import short, shown_columns
from core.errors import DataError

GUESS_SAMPLE_ROWS = 20_000
TEXT_CANDIDATES = 5
TEXT_NAMES = ("text", "sentence", "review", "content", "body", "comment", "message", "tweet", "document", "question")
LABEL_NAMES = ("label", "labels", "class", "category", "sentiment", "target", "y", "intent", "topic", "tag")
KEYS = {"text": "text_column", "label": "label_column", "pair": "text_pair_column", "multi_label": "multi_label"}


@dataclass(frozen=True)
class Columns:
    """Which columns hold the text, the label(s) and the second text, and whether rows have several labels.

    A column left ``None`` is guessed (``pair`` is never guessed); ``label`` may name several 0/1 label
    columns separated by commas; ``multi_label`` is 'auto', 'yes' or 'no'. Its dict form
    (:meth:`to_dict`, :meth:`from_dict`) has the keys of a run's ``config.json`` data settings and of the
    app's saved data choice: ``text_column``, ``label_column``, ``text_pair_column``, ``multi_label``.
    """

    text: str | None = None
    label: str | None = None
    pair: str | None = None
    multi_label: str = "auto"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Columns:
        """The choice from its dict form; other keys are ignored, a blank column is None, no mode is 'auto'."""
        names = {name: raw.get(key) or None for name, key in KEYS.items() if name != "multi_label"}
        return cls(**names, multi_label=raw.get("multi_label") or "auto")

    @classmethod
    def of(cls, settings: Any) -> Columns:
        """The choice held by a run's data settings (``core.config.DataSettings``)."""
        return cls.from_dict({key: getattr(settings, key) for key in KEYS.values()})

    def to_dict(self) -> dict[str, Any]:
        """``{"text_column", "label_column", "text_pair_column", "multi_label"}``, as ``config.json`` writes them."""
        return {key: getattr(self, name) for name, key in KEYS.items()}


def column_stats(frame: pd.DataFrame) -> list[dict[str, Any]]:
    sample = frame.head(GUESS_SAMPLE_ROWS)
    stats = []
    for name in sample.columns:
        values = sample[name].dropna().astype(str).str.strip()
        values = values[values != ""]
        n = len(values)
        numbers = pd.to_numeric(values, errors="coerce") if n else pd.Series(dtype=float)
        numeric = float(numbers.notna().mean()) if n else 0.0
        stats.append({
            "name": str(name), "n": n, "distinct": int(values.nunique()),
            "ratio": values.nunique() / max(n, 1), "mean_len": float(values.str.len().mean()) if n else 0.0,
            "numeric": numeric, "words": float(values.str.count(" ").mean()) if n else 0.0,
            "continuous": numeric > 0.95 and continuous(numbers.dropna().to_numpy(dtype=float)),
        })
    return stats


def text_score(s: dict[str, Any]) -> float:
    hint = 2.0 if s["name"].strip().lower() in TEXT_NAMES else 1.0
    numeric = 0.05 if s["numeric"] > 0.9 else 1.0
    return (s["mean_len"] + 3 * s["words"]) * (0.5 + s["ratio"]) * hint * numeric * (s["n"] > 0)


def label_key(s: dict[str, Any]) -> tuple[bool, bool, int, float]:
    plausible = s["distinct"] >= 2 and (s["ratio"] <= 0.5 or (s["distinct"] <= 20 and s["distinct"] < s["n"]))
    hinted = s["name"].strip().lower() in LABEL_NAMES
    return (not plausible or s["continuous"], not hinted, s["distinct"], s["mean_len"])


def _text_columns(frame: pd.DataFrame, stats: list[dict[str, Any]], skip: tuple[str | None, ...] = ()) -> list[str]:
    """Columns by text score, best first; of the best few, those that do not hold text are left out."""
    ranked = [s["name"] for s in sorted(stats, key=text_score, reverse=True) if s["name"] not in skip]
    best = [name for name in ranked[:TEXT_CANDIDATES] if not_text(frame[name]) is None]
    return best + ranked[TEXT_CANDIDATES:]


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """Guess (text column, label column): text is long and varied, label has few distinct values."""
    if frame.shape[1] < 2:
        raise DataError(
            f"Found only {frame.shape[1]} column: the file needs a text column and a label column separated by a "
            "delimiter such as a comma or tab. Check the delimiter and header row."
        )
    stats = column_stats(frame)
    texts = _text_columns(frame, stats)
    if not texts:  # no column holds text: the likeliest is named like one, or is not the likeliest label
        label = min(stats, key=label_key)["name"]
        texts = [max((s for s in stats if s["name"] != label),
                     key=lambda s: (s["name"].strip().lower() in TEXT_NAMES, text_score(s)))["name"]]
    label = min((s for s in stats if s["name"] != texts[0]), key=label_key)
    return texts[0], label["name"]


def check_column(frame: pd.DataFrame, name: str, role: str) -> None:
    if name not in frame.columns:
        raise DataError(f"The {role} column '{short(name)}' does not exist; {shown_columns(list(frame.columns))}.")


def check_text(frame: pd.DataFrame, chosen: Columns, named: bool) -> None:
    """Refuse a text (or second text) column that holds numbers, ids, dates, links or single characters.

    ``chosen`` names every column (as picked); ``named``: the user named the text column.
    """
    text, label, pair = chosen.text, chosen.label, chosen.pair
    for column, role in ((text, "text"), (pair, "second text")):
        found = not_text(frame[column]) if column else None
        if found is None:
            continue
        kind, share = found
        others = [n for n in _text_columns(frame, column_stats(frame), (text, label, pair)) if not not_text(frame[n])]
        hint = f"choose '{short(others[0])}', which holds text" if others else "choose the column that holds the texts"
        if named or role != "text":
            raise DataError(f"The {role} column '{short(column)}' holds {kind} ({share:.0%} of its values), not text: "
                            f"{hint}.")
        raise DataError(f"No column holds text: the likeliest, '{short(column)}', holds {kind} ({share:.0%} of its "
                        f"values): {hint}, or add one.")


def pick_columns(frame: pd.DataFrame, columns: Columns) -> tuple[str, str]:
    """(text column, label column): the named ones, checked to exist, the others guessed."""
    text, label, pair = columns.text, columns.label, columns.pair
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
        raise DataError(f"The text and label columns are both '{short(text)}': pick two different columns.")
    if pair in (text, label):
        raise DataError(f"The second text column '{short(pair)}' is already the text or label column: pick another one.")
    return text, label
