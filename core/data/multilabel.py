"""Recognise multi-label data and turn it into one tuple of labels per row.

Two layouts: one label column holding several labels per cell (``billing;bug``, ``billing|bug``,
``["billing","bug"]`` or ``['billing', 'bug']``, ``billing, bug`` when clearly a list), or several
0/1 columns (also yes/no, true/false, y/n, t/f) beside the text. Detection is conservative so ordinary
single-label files are never split: a separator counts only when at least two rows hold it well formed
(no empty parts), splitting leaves fewer classes than it found, and most parts recur; a comma also needs
short parts that mostly appear alone as labels too. 0/1 columns count when two or more are found and
none is named like a label column (``label``, ``target``, ...). The user's ``multi_label`` setting
('auto', 'yes', 'no') overrides the detection; ``label_column="billing,bug,refund"`` names 0/1
columns. :func:`multi_label_stats` measures per-label counts, co-occurrence and labels per row. Cleaning
rows and the report are ``core.data.labelled``'s; how a label is written is ``core.data.labelvalues``'.
"""

from __future__ import annotations

import ast
import json

import numpy as np
import pandas as pd

from core.config import MULTI_LABEL_MODES
from core.data.columns import LABEL_NAMES, Columns
from core.data.labelvalues import normalise_labels
from core.data.table import short, shown_columns
from core.errors import DataError

SEPARATORS = (";", "|", ",")
TRUE = frozenset({"1", "1.0", "true", "yes", "y", "t"})
FALSE = frozenset({"0", "0.0", "false", "no", "n", "f"})
MIN_LIST_ROWS = 2  # rows holding several labels before a separator is believed
RECUR_SHARE = 0.8  # share of the parts that must occur in two rows or more
COMMA_ALONE_SHARE = 0.5  # with commas: share of the parts that also occur alone as a label
COMMA_PART_CHARS = 40
TOP_PAIRS = 20
SAMPLE_ROWS = 2_000  # 0/1 detection looks at these first, then at whole columns


def check_mode(mode: object) -> str:
    """'auto', 'yes' or 'no' (booleans and None accepted); a :class:`DataError` for anything else."""
    if mode is None or mode is True or mode is False:
        return "auto" if mode is None else "yes" if mode else "no"
    text = str(mode).strip().lower()
    if text not in MULTI_LABEL_MODES:
        raise DataError(f"multi_label must be auto, yes or no (got {short(mode)}).")
    return text


def truth(series: pd.Series) -> pd.Series:
    """True/False per 0/1, yes/no or true/false value; missing (NA) for anything else or an empty cell."""
    values = series.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[values.isin(TRUE).fillna(False)] = True
    out[values.isin(FALSE).fillna(False)] = False
    return out


def is_binary(series: pd.Series) -> bool:
    """Whether every non-empty value of ``series`` is a 0/1, yes/no or true/false value (and there is one)."""
    values = series.dropna().astype("string").str.strip()
    values = values[values != ""]
    return len(values) > 0 and bool(truth(values).notna().all())


def binary_columns(frame: pd.DataFrame, chosen: Columns) -> list[str] | None:
    """The 0/1 label columns (named as ``label`` = 'a,b,c', or detected), or None for one label column.

    ``chosen.multi_label`` is a mode from :func:`check_mode`.
    """
    text, label, pair, mode = chosen.text, chosen.label, chosen.pair, chosen.multi_label
    columns = [str(c) for c in frame.columns]
    if label and label in columns:
        return None
    names = [n.strip() for n in label.split(",") if n.strip()] if label else []
    if label and len(names) < 2:
        return None  # one name that is not a column: the column check names it
    if names:
        if mode == "no":
            raise DataError(f"The label column '{short(label)}' names {len(names)} columns but multi_label is 'no': "
                            "name one label column, or set multi_label to auto or yes.")
        return _named_binary(frame, names)
    if mode == "no":
        return None
    found = [c for c in columns if c not in (text, pair) and is_binary(frame[c].head(SAMPLE_ROWS)) and is_binary(frame[c])]
    # beside a column named like a label column, 0/1 columns are features, not labels (unless told 'yes')
    if len(found) < 2 or (mode == "auto" and any(c.strip().lower() in LABEL_NAMES for c in columns)):
        return None
    return found


def _named_binary(frame: pd.DataFrame, names: list[str]) -> list[str]:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(f"The label column '{short(missing[0])}' does not exist; {shown_columns(list(frame.columns))}.")
    for name in names:
        if not is_binary(frame[name]):
            raise DataError(f"The label column '{short(name)}' holds values other than 0/1, yes/no or true/false: "
                            "name only 0/1 columns as labels, or one column holding the labels.")
    if len(set(names)) < len(names):
        raise DataError("A label column is named twice in the label columns: name each 0/1 column once.")
    return names


def binary_labels(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the tuple of the columns holding 1/yes/true; NA when a column's value is missing or not 0/1."""
    flags = pd.DataFrame({c: truth(frame[c]) for c in columns})
    complete = flags.notna().all(axis=1)
    names = pd.Index(columns)
    values = [tuple(names[row]) for row in flags.fillna(False).to_numpy(dtype=bool)]
    return pd.Series(values, index=frame.index, dtype=object).where(complete, pd.NA)


def _parts(value: str, separator: str) -> list[str]:
    return [part.strip() for part in value.split(separator)]


def _parse_list(value: str) -> list[str] | None:
    """The items of a JSON (or Python) list of strings or numbers, else None."""
    if not (value.startswith("[") and value.endswith("]")):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            items = parse(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(items, list) and all(isinstance(i, str | int | float) and not isinstance(i, bool) for i in items):
            return [str(i).strip() for i in items]
    return None


def list_format(counts: pd.Series, mode: str) -> str | None:
    """How a label column holds several labels: 'json', a separator, 'one' (forced, one each) or None (single-label).

    ``counts`` maps each distinct (normalised) label value to its number of rows.
    """
    if mode == "no" or counts.empty:
        return None
    values = pd.Series(counts.index.astype(str), index=counts.index)
    parsed = values.map(_parse_list)
    json_rows = int(counts[parsed.notna().to_numpy()].sum())
    if json_rows >= 0.9 * counts.sum():
        return "json"
    scored = [(_separator_rows(counts, values, sep, mode), sep) for sep in SEPARATORS]
    rows, best = max(scored)
    if mode == "yes" and json_rows > rows:  # forced: whichever layout more rows use ("[]" alone is no list)
        return "json"
    if rows > 0:
        return best
    return "one" if mode == "yes" else None


def _separator_rows(counts: pd.Series, values: pd.Series, sep: str, mode: str) -> int:
    """Rows holding well-formed ``sep``-separated lists, or 0 when ``sep`` does not look like a list separator."""
    has = values.str.contains(sep, regex=False).to_numpy()
    if not has.any():
        return 0
    parts = values[has].map(lambda v: _parts(v, sep))
    broken = parts.map(lambda p: "" in p).to_numpy()
    rows = int(counts[has][~broken].sum())
    if mode == "yes":
        return rows
    if rows < MIN_LIST_ROWS or counts[has][broken].sum() >= rows:
        return 0
    single = {v: int(n) for v, n in zip(values[~has], counts[~has], strict=True)}
    atoms: dict[str, int] = dict(single)
    for value_parts, n in zip(parts[~broken], counts[has][~broken], strict=True):
        for part in set(value_parts):
            atoms[part] = atoms.get(part, 0) + int(n)
    listed = {p for value_parts in parts[~broken] for p in value_parts}
    if len(atoms) >= len(values) or sum(atoms[p] >= 2 for p in listed) < RECUR_SHARE * len(listed):
        return 0
    if sep == "," and (any(len(p) > COMMA_PART_CHARS or p.count(" ") > 2 for p in listed)
                       or sum(p in single for p in listed) < COMMA_ALONE_SHARE * len(listed)):
        return 0
    return rows


def split_labels(labels: pd.Series, how: str) -> pd.Series:
    """Per row, the tuple of distinct labels in a cell (``how`` from :func:`list_format`); empty parts dropped."""
    def items(value: str) -> list[str]:
        parsed = _parse_list(value)  # '[]' is no label in any layout
        if parsed is not None:
            return parsed
        return [value] if how in ("json", "one") else _parts(value, how)

    values = labels.astype(str)
    split = {value: items(value) for value in pd.unique(values)}  # each distinct cell once
    atoms = pd.unique(pd.Series([a for parts in split.values() for a in parts], dtype="string"))
    clean = dict(zip(atoms, normalise_labels(pd.Series(atoms, dtype="string")).fillna("").tolist(), strict=True))
    table = {value: tuple(dict.fromkeys(clean[a] for a in parts if clean[a])) for value, parts in split.items()}
    return values.map(table)


def order_tuples(labels: pd.Series, order: list[str]) -> pd.Series:
    """Each row's tuple sorted by ``order`` (the data's label list), labels not in ``order`` left out."""
    rank = {label: i for i, label in enumerate(order)}
    return labels.map(lambda row: tuple(sorted((v for v in row if v in rank), key=rank.__getitem__)))


def label_counts(labels: pd.Series) -> pd.Series:
    """Rows per label (a label counts once per row)."""
    exploded = labels.explode().dropna()
    return exploded.astype(str).value_counts()


def format_name(how: str | None) -> str | None:
    """How the labels were given, in words for the report."""
    names = {"json": "lists", "one": "one label per row", "columns": "0/1 columns"}
    return None if how is None else names.get(how, f"separated by '{how}'")


def multi_hot(labels: pd.Series, order: list[str]) -> np.ndarray:
    """(rows, labels) 0/1 matrix (uint8) of the label tuples, columns in ``order``."""
    rank = {label: i for i, label in enumerate(order)}
    matrix = np.zeros((len(labels), len(order)), dtype=np.uint8)
    for row, values in enumerate(labels.tolist()):
        matrix[row, [rank[v] for v in values if v in rank]] = 1
    return matrix


def multi_label_stats(labels: pd.Series, order: list[str]) -> dict[str, object]:
    """Per-label rows, the co-occurrence matrix and most frequent pairs, and the distribution of labels per row."""
    matrix = multi_hot(labels, order).astype(np.int64)
    rows = max(len(matrix), 1)
    together = matrix.T @ matrix
    per_row = matrix.sum(axis=1)
    pairs = [(int(together[i, j]), order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    pairs = sorted((p for p in pairs if p[0]), key=lambda p: -p[0])[:TOP_PAIRS]
    counts = matrix.sum(axis=0)
    return {
        "labels": list(order), "counts": {label: int(n) for label, n in zip(order, counts, strict=True)},
        "shares": {label: round(int(n) / rows, 4) for label, n in zip(order, counts, strict=True)},
        "co_occurrence": together.tolist(),
        "pairs": [{"labels": [a, b], "rows": n, "share_of_rows": round(n / rows, 4)} for n, a, b in pairs],
        "labels_per_row": {str(k): int(n) for k, n in enumerate(np.bincount(per_row)) if n},
        "mean_labels_per_row": round(float(per_row.mean()) if len(per_row) else 0.0, 3),
        "rows_without_label": int((per_row == 0).sum()), "rows_with_several": int((per_row > 1).sum()),
    }
