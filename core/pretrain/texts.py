"""The unlabelled texts of a pre-training stage, and the share held out to measure perplexity.

Texts come from the training data's text column (the training split only: validation texts stay
unseen; the held-out share never has a copy in the texts the stage trains on), or from a file: a ``.txt`` holds one text per line, or paragraphs separated by blank lines
(at least three blocks, most of several lines);
any other format (CSV, TSV, JSON Lines, Parquet, Excel) is read as a table by ``core.data.readers`` and
its text column is the one named for the training data when the file has it, else the one
``core.data.columns`` ranks as the most text-like. Messages name the file as the user knows it, never
its content. Tokenization and training are ``core.pretrain.stage``'s job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import column_stats, text_score
from core.data.content import not_text
from core.data.duplicates import group_ids
from core.data.encoding import to_utf8
from core.data.labelled import MAX_FILE_BYTES
from core.data.readers import read_any
from core.data.uploads import shown_name
from core.errors import DataError

TEXT_SUFFIXES = (".txt", ".text", ".md")
HELD_OUT = 0.05  # share of the texts kept aside for the perplexity curve
MIN_TEXTS = 2
MIN_PARAGRAPHS = 3  # blank-line separated blocks, most of several lines, for a .txt to be read as paragraphs


def read_text_file(path: Path) -> list[str]:
    """Texts of a plain-text file: paragraphs when blank lines separate at least three blocks, most of several
    lines; else one text per line."""
    name = shown_name(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{name} is larger than the {MAX_FILE_BYTES // 1024**2} MB limit: sample it down.")
    data, _ = to_utf8(path.read_bytes(), name)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [block for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    several = sum("\n" in block.strip() for block in blocks)
    if len(blocks) >= MIN_PARAGRAPHS and 2 * several >= len(blocks):  # a stray blank line does not make paragraphs
        return [" ".join(line.strip() for line in block.split("\n") if line.strip()) for block in blocks]
    return lines


def text_column(frame: Any, wanted: str | None = None) -> str:
    """The column of ``frame`` holding the text: ``wanted`` when present, else the most text-like."""
    if wanted is not None and wanted in frame.columns:
        return wanted
    ranked = sorted(column_stats(frame), key=text_score, reverse=True)
    if not ranked or ranked[0]["n"] == 0:
        raise DataError("The pre-training file has no text in any column: choose a file of unlabelled text.")
    return ranked[0]["name"]


def read_texts(path: str | Path, wanted_column: str | None = None) -> list[str]:
    """The unlabelled texts of a ``.txt``, ``.csv``, ``.jsonl`` (or any table ``core.data`` reads)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The pre-training file {shown_name(path)} does not exist: upload it again.")
    if path.suffix.lower() in TEXT_SUFFIXES:
        texts = read_text_file(path)
    else:
        frame, _ = read_any(path, MAX_FILE_BYTES)
        column = text_column(frame, wanted_column)
        problem = not_text(frame[column].dropna().astype(str))
        if problem is not None:
            raise DataError(f"Column '{column[:40]}' of {shown_name(path)} holds {problem[0]}, not text: "
                            "choose a file whose text column holds sentences.")
        texts = [t.strip() for t in frame[column].dropna().astype(str) if t.strip()]
    return check_count(texts, shown_name(path))


def check_count(texts: list[str], where: str) -> list[str]:
    """``texts`` when there are enough to train on and hold some out; a :class:`DataError` otherwise."""
    if len(texts) < MIN_TEXTS:
        raise DataError(f"{where} has {len(texts)} non-empty text(s): pre-training needs at least {MIN_TEXTS} "
                        "(one is held out to measure perplexity).")
    return texts


def split_texts(texts: list[str], seed: int) -> tuple[list[str], list[str]]:
    """(training texts, held-out texts): a seeded 5% (at least one text) is held out for perplexity, every copy
    of a held-out text with it (copies differing in case, spaces or full-width forms too: ``core.data.duplicates``),
    so the perplexity is measured on texts the stage never trained on. Texts that are all one text are split as
    they come."""
    order = np.random.default_rng(seed).permutation(len(texts))
    held = max(1, round(HELD_OUT * len(texts)))
    groups = group_ids(pd.Series(texts, dtype=object))
    chosen: set[int] = set()
    count, sizes = 0, np.bincount(groups)
    for i in order:
        if count >= held:
            break
        if groups[i] not in chosen:
            chosen.add(int(groups[i]))
            count += int(sizes[groups[i]])
    if len(chosen) == len(sizes):  # one text only: nothing would be left to train on
        return [texts[i] for i in order[held:]], [texts[i] for i in order[:held]]
    return ([texts[i] for i in order if groups[i] not in chosen], [texts[i] for i in order if groups[i] in chosen])
