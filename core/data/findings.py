"""The warnings a data report lists: what is usable but worth a look before training.

Dropped rows and why, rare classes, multi-label rows that mostly have no label, labels that differ only in case, duplicates, one class that is
nearly every row, texts long enough to be merged rows, a text column with hardly any different texts,
a missing header, and a second free-text column. Each is one sentence naming columns, counts and
classes (cut to 40 characters), never a text. Refusing unusable data is ``core.data.labelled``'s and
``core.data.content``'s job; balance and duplicate statistics are ``core.data.health``'s.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.data.columns import column_stats, text_score
from core.data.table import short

MIN_CLASS_EXAMPLES = 5
DOMINANT_SHARE = 0.99
NO_LABEL_SHARE = 0.5
LONG_TEXT_CHARS = 100_000
FEW_TEXTS_SAMPLE = 20_000


def warnings_for(report: Any, frame: pd.DataFrame, clean: pd.DataFrame) -> list[str]:
    """Warnings for a :class:`core.data.DataReport` of the raw ``frame`` and the ``clean`` text/label table."""
    warnings: list[str] = []
    if report.dropped:
        warnings.append("Dropped " + ", ".join(f"{n:,} row(s) with {why}" for why, n in report.dropped.items()) + ".")
    warnings += _label_warnings(report)
    if report.duplicates:
        warnings.append(
            f"{report.duplicates:,} row(s) repeat one of {getattr(report, 'duplicate_groups', 0):,} text(s) found "
            "earlier in the file (ignoring case, spaces and full-width forms): the validation split keeps all copies "
            "of a text on one side, and Drop duplicates (python -m core dedupe) removes them."
        )
    warnings += _text_warnings(report, clean)
    if not report.has_header:
        warnings.append(f"No header row found: columns are named {', '.join(report.columns[:4])}.")
    if report.text_pair_column is None:
        warnings += _pair_hint(frame, report)
    return warnings


def _label_warnings(report: Any) -> list[str]:
    warnings = []
    rare = [short(label) for label, n in report.labels.items() if n < MIN_CLASS_EXAMPLES]
    if rare:
        warnings.append(
            f"Classes with fewer than {MIN_CLASS_EXAMPLES} examples: {', '.join(rare[:10])}; they will be learned "
            "poorly (add examples or merge them)."
        )
    folded: dict[str, list[str]] = {}
    for label in report.labels:
        folded.setdefault(label.casefold(), []).append(short(label))
    clashes = [" / ".join(v) for v in folded.values() if len(v) > 1]
    if clashes:
        warnings.append(f"Labels that differ only in case are separate classes: {'; '.join(clashes[:5])}.")
    empty = getattr(report, "rows_without_label", 0)
    if getattr(report, "multi_label", False) and empty >= NO_LABEL_SHARE * max(report.rows_kept, 1):
        warnings.append(
            f"{empty:,} of {report.rows_kept:,} rows have none of the labels: the model will learn to answer none "
            "often; check that the label column(s) are the right ones."
        )
    largest = max(report.labels, key=report.labels.__getitem__)
    share = report.labels[largest] / max(report.rows_kept, 1)
    if share >= DOMINANT_SHARE and report.rows_kept >= 100:
        warnings.append(
            f"'{short(largest)}' is {share:.1%} of the rows: a model that always answers it scores {share:.1%}, so "
            "accuracy will say little; add examples of the other classes."
        )
    return warnings


def _text_warnings(report: Any, clean: pd.DataFrame) -> list[str]:
    warnings = []
    lengths = clean["text"].str.len()
    long = int((lengths > LONG_TEXT_CHARS).sum())
    if long:
        warnings.append(
            f"{long:,} text(s) in '{short(report.text_column)}' are over {LONG_TEXT_CHARS:,} characters (the longest "
            f"{int(lengths.max()):,}): check the file for merged rows; only the first max_length tokens are used."
        )
    sample = clean["text"].head(FEW_TEXTS_SAMPLE)
    distinct = sample.nunique()
    if len(sample) >= 100 and distinct <= max(10, 0.01 * len(sample)):
        warnings.append(
            f"The text column '{short(report.text_column)}' has only {distinct:,} different texts in its first "
            f"{len(sample):,} rows: is it a column of classes rather than texts?"
        )
    return warnings


def _pair_hint(frame: pd.DataFrame, report: Any) -> list[str]:
    others = [s for s in column_stats(frame) if s["name"] not in (report.text_column, report.label_column)]
    free = [s for s in others if s["ratio"] > 0.5 and s["words"] >= 3 and s["numeric"] < 0.5]
    if not free:
        return []
    name = max(free, key=text_score)["name"]
    return [f"Column '{short(name)}' also holds free text: choose it as the second text column for a sentence-pair "
            "task."]
