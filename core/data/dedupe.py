"""Drop repeated texts: a copy of a labelled file that keeps the first row of each text.

Rows are the same text when ``core.data.duplicates`` gives them one key (case, spaces and full-width forms
aside; for sentence pairs, the pair). A text whose rows agree on the label keeps its first row. A text given
different labels (conflicting) is no copy to drop silently: with ``conflicting='keep'`` (the default) it keeps
its first row of each label, so the disagreement stays for the user to fix (the split keeps those rows on
one side), and with ``'drop'`` all its rows go. The copy is a UTF-8 CSV of the file's table as read: every
column, every other row (rows the data check drops are dropped again when it is read) and the header.
The Data tab's *Drop duplicates*, the ``/drop_duplicates`` endpoint and ``python -m core dedupe`` share it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import Columns
from core.data.duplicates import group_ids
from core.data.labelled import LABEL, TEXT, TEXT_PAIR, LabelledData, load_labelled, read_table
from core.errors import DataError
from core.files import written_aside

CONFLICTING = ("keep", "drop")


def rows_to_drop(data: LabelledData, conflicting: str = "keep") -> tuple[np.ndarray, dict[str, int]]:
    """A mask over the clean rows of those to drop, and what dropping them does (counts only)."""
    if conflicting not in CONFLICTING:
        raise DataError(f"conflicting must be 'keep' or 'drop' (got '{str(conflicting)[:20]}').")
    frame = data.frame
    groups = group_ids(frame[TEXT], frame[TEXT_PAIR] if TEXT_PAIR in frame.columns else None)
    labels, _ = pd.factorize(frame[LABEL])
    table = pd.DataFrame({"group": groups, "label": labels})
    repeat = table.duplicated(["group", "label"]).to_numpy()  # a later row of the same text and label
    per_group = table.groupby("group")["label"].nunique()
    conflicted = per_group.index[per_group > 1].to_numpy()
    in_conflict = np.isin(groups, conflicted)
    drop = repeat | in_conflict if conflicting == "drop" else repeat
    summary = {
        "rows": len(frame), "rows_kept": int((~drop).sum()), "rows_dropped": int(drop.sum()),
        "copies_dropped": int((repeat & ~in_conflict).sum()), "conflicting_texts": len(conflicted),
        "conflicting_rows": int(in_conflict.sum()),
        "conflicting_rows_dropped": int((drop & in_conflict).sum()),
    }
    return drop, summary


def drop_duplicates(path: str | Path, output: str | Path, columns: Columns | None = None,
                    conflicting: str = "keep") -> dict[str, Any]:
    """Write ``output``: ``path``'s table without its repeated texts (see the module). Returns the counts, with
    ``conflicting`` (the mode) and ``written`` (False when there was nothing to drop: no file is written)."""
    if conflicting not in CONFLICTING:  # before reading anything
        raise DataError(f"conflicting must be 'keep' or 'drop' (got '{str(conflicting)[:20]}').")
    data = load_labelled(path, columns)
    drop, summary = rows_to_drop(data, conflicting)
    summary.update(conflicting=conflicting, written=bool(drop.any()))
    if not drop.any():
        return summary
    frame, _ = read_table(path)
    gone = np.asarray(data.source_rows, dtype=np.int64)[drop]
    kept = frame.drop(index=frame.index[gone])
    with written_aside(output, ".part") as tmp:
        kept.to_csv(tmp, index=False, encoding="utf-8")
    return summary


def copy_name(name: str) -> str:
    """The file name of a copy without duplicates: ``reviews.xlsx`` → ``reviews-no-duplicates.csv``."""
    stem = Path(name).stem or "data"
    return f"{stem.removesuffix('-no-duplicates')}-no-duplicates.csv"
