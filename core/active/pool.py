"""The unlabelled pool: a file of texts, or the rows of a run's training file that have no label.

A pool is a table of ``row`` (the row's position in its file, counted from 0 below the header), ``text`` and, for
a run trained on text pairs, ``text_pair``. A pool file is read by ``core.data.read_table`` (every format the
data readers accept); its text column is the one named, else the run's own text column when the file has it,
else the column that reads most like text (``core.data.columns``). Rows without text are left out, and so are
repeats of a text already in the pool (one label teaches nothing twice). Every refusal is one sentence naming
the file as the user knows it. Leaves out ranking (``core.active.rank``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.config import RunConfig
from core.data import TEXT, TEXT_PAIR, read_table
from core.data.columns import TEXT_NAMES, column_stats, text_score
from core.data.content import not_text
from core.data.table import short, shown_columns
from core.data.uploads import shown_name
from core.errors import DataError

ROW = "row"
TRAINING = "training"  # the pool of a run's own training rows without a label


@dataclass
class Pool:
    """Unlabelled rows (``row``, ``text``, [``text_pair``]) and where they came from."""

    frame: pd.DataFrame
    source: str  # the file as the user knows it, or TRAINING
    text_column: str

    def __len__(self) -> int:
        return len(self.frame)


def _text_column(frame: pd.DataFrame, named: str | None, preferred: str | None, name: str) -> str:
    """The named column (checked), else ``preferred`` when present, else the column that reads most like text."""
    if named:
        if named not in frame.columns:
            raise DataError(f"The pool {name} has no column '{short(named)}'; {shown_columns(list(frame.columns))}.")
        return named
    if preferred and preferred in frame.columns:
        return preferred
    stats = [s for s in column_stats(frame) if not_text(frame[s["name"]]) is None]
    if not stats:
        raise DataError(f"The pool {name} has no column of text: give a file with one text per row (a column "
                        "named 'text' is found by itself).")
    return max(stats, key=lambda s: (s["name"].strip().lower() in TEXT_NAMES, text_score(s)))["name"]


def _pool_rows(frame: pd.DataFrame, text: str, pair: str | None) -> pd.DataFrame:
    """``row``, ``text`` (and ``text_pair``) of the rows with text, first of each repeated text."""
    out = pd.DataFrame({ROW: range(len(frame)), TEXT: frame[text].astype("string").str.strip()})
    if pair:
        out[TEXT_PAIR] = frame[pair].astype("string").str.strip()
    keep = out[TEXT].notna() & (out[TEXT] != "")
    out = out[keep.fillna(False).astype(bool)]
    out = out.drop_duplicates(subset=[c for c in (TEXT, TEXT_PAIR) if c in out.columns])
    return out.astype({c: str for c in out.columns if c != ROW}).reset_index(drop=True)


def read_pool(path: str | Path, config: RunConfig | None = None, text_column: str | None = None) -> Pool:
    """The pool in a file of texts for a run of ``config`` (its text column and second text column, if any)."""
    name = shown_name(path)
    try:
        frame, _ = read_table(path)
    except DataError as error:
        raise DataError(f"The pool file {name} cannot be read: {error}") from error
    if len(frame) == 0:
        raise DataError(f"The pool file {name} has no rows: add one text per row below the header.")
    data = config.data if config is not None else None
    text = _text_column(frame, text_column, data.text_column if data else None, f"file {name}")
    if not_text(frame[text]) is not None:
        raise DataError(f"The pool file {name}'s column '{short(text)}' does not hold text: name the column of "
                        "texts with the text column option.")
    pair = data.text_pair_column if data else None
    if pair and pair not in frame.columns:
        raise DataError(f"The run compares two texts, but the pool file {name} has no second text column "
                        f"'{short(pair)}': add it.")
    rows = _pool_rows(frame, text, pair)
    if len(rows) == 0:
        raise DataError(f"The pool file {name} has no rows with text in column '{short(text)}'.")
    return Pool(rows, name, text)


def training_pool(config: RunConfig) -> Pool:
    """The rows of the run's training file that have no label (training left them out)."""
    path, data = Path(config.data.train_file), config.data
    if not path.is_file():
        raise DataError("The run's training file is gone, so its unlabelled rows cannot be read: give a pool file.")
    frame, _ = read_table(path)
    labels = [c for c in str(data.label_column or "").split(",") if c in frame.columns]
    if not labels or (data.text_column or "") not in frame.columns:
        raise DataError("The run's training file no longer has its columns: give a pool file.")
    cells = frame[labels].astype("string").apply(lambda column: column.str.strip())
    unlabelled = (cells.isna() | (cells == "")).all(axis=1).fillna(False).astype(bool)
    rows = _pool_rows(frame, data.text_column, data.text_pair_column)
    rows = rows[rows[ROW].isin(frame.index[unlabelled.to_numpy()])].reset_index(drop=True)
    if len(rows) == 0:
        raise DataError("The run's training file has no rows without a label: give a pool file of unlabelled texts.")
    return Pool(rows, TRAINING, data.text_column)
