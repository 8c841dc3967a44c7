"""What a column's values are: free text, or numbers, ids, dates, links or single characters; classes or a measurement.

The text check classifies a spread sample of at most :data:`SAMPLE_VALUES` values with vectorised
regular expressions; a column is not text when nearly all of them (:data:`NOT_TEXT_SHARE`) are of
those kinds. Short texts (``ok``), texts with numbers in them (``3 stars, would buy again``) and
scripts without spaces are text. The label check works on the distinct labels and their counts only.
Messages name columns and counts, never values. Choosing columns is ``core.data.columns``' job.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.table import short
from core.errors import DataError

SAMPLE_VALUES = 2_000
NOT_TEXT_SHARE = 0.95
_DAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s)?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s?(?:[ap]\.?m\.?)?\s?(?:z|utc|gmt|[+-]\d{2}:?\d{2})?"
KINDS = {  # what the values are: a pattern each value of that kind matches whole (case-insensitive)
    "numbers": r"[+-]?[$€£¥]?\s?(?:\d{1,3}(?:[,.' ]\d{3})+|\d+)(?:[.,]\d+)?\s?%?|[+-]?\.\d+|[+-]?\d+(?:\.\d*)?e[+-]?\d+",
    "dates or times": (rf"\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?:[t ]{_CLOCK})?|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}"
                       rf"(?:,?\s{_CLOCK})?|{_CLOCK}|{_DAY}(?:\d{{1,2}}(?:st|nd|rd|th)?\s)?{_MONTH}"
                       rf"(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?,?\s\d{{2,4}}(?:\s{_CLOCK})?"),
    "links (URLs, e-mail addresses or paths)": r"(?:https?|ftp)://\S+|www\.\S+|[^\s@]+@[^\s@]+\.[a-z]{2,}|(?:[a-z]:\\|~?/)\S*",
    "ids or hashes": r"\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?|(?=\S*\d)[a-z0-9_#:./-]{2,64}",
    "single characters": r"[^\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]",
}


def sample_values(series: pd.Series, limit: int = SAMPLE_VALUES) -> pd.Series:
    """Up to ``limit`` non-empty, stripped values spread over the first rows of ``series``."""
    values = series.head(20 * limit).dropna().astype("string").str.strip()
    values = values[values != ""]
    return values.iloc[:: max(1, len(values) // limit)].head(limit)


def not_text(series: pd.Series) -> tuple[str, float] | None:
    """(what the values are, their share) when nearly all values are not text, else None."""
    values = sample_values(series)
    if len(values) == 0:
        return None
    left = pd.Series(True, index=values.index)
    shares = {}
    for kind, pattern in KINDS.items():
        hit = values[left].str.fullmatch(f"(?i:{pattern})").fillna(False).astype(bool)
        shares[kind] = float(hit.sum()) / len(values)
        left[hit[hit].index] = False
    share = 1.0 - float(left.mean())
    if share < NOT_TEXT_SHARE:
        return None
    kind, most = max(shares.items(), key=lambda item: item[1])
    return (kind if most >= 0.8 * share else "numbers, ids, dates, links or single characters"), share


def continuous(numbers: np.ndarray) -> bool:
    """Whether distinct numeric labels look like a measurement rather than class ids or a few numbered categories."""
    values = np.unique(numbers[np.isfinite(numbers)])
    if len(values) <= 6:
        return False
    if len(values) <= 10 and np.allclose(values * 4, np.round(values * 4)):
        return False  # a few values on a half or quarter grid: ratings like 1.0, 1.5, ... 5.0 are classes
    if (values % 1 != 0).any() or len(values) > 1000:
        return True
    contiguous = len(values) >= 0.8 * (values[-1] - values[0] + 1) and -1 <= values[0] <= 1
    return len(values) > 30 and not contiguous


def check_labels(counts: pd.Series, column: str) -> None:
    """Refuse a label column that holds a measurement, ids or free text instead of classes (``counts``: label → rows)."""
    rows, n_labels = int(counts.sum()), len(counts)
    numbers = pd.to_numeric(pd.Series(counts.index, dtype="string").str.strip(), errors="coerce").to_numpy(dtype=float)
    numeric = np.isfinite(numbers)
    if counts.to_numpy()[numeric].sum() >= 0.95 * rows and continuous(numbers[numeric]):
        fractions = " with decimals" if (numbers[numeric] % 1 != 0).any() else ""
        raise DataError(
            f"The label column '{short(column)}' holds a measurement ({n_labels:,} different numbers{fractions}), not "
            "classes: bin it into a few classes (e.g. low, medium, high) or choose another label column."
        )
    if n_labels > 0.5 * rows and rows > 20:
        raise DataError(
            f"The label column '{short(column)}' has {n_labels:,} different values in {rows:,} rows, so most classes "
            "have a single example: it looks like an id or text column; choose the column that holds the classes."
        )


def text_like_labels(counts: pd.Series) -> list[str]:
    """Labels that occur once and read like a text (over 50 characters or 6 words): a delimiter problem on that row."""
    once = counts[counts == 1].index.astype(str)
    return [label for label in once if len(label) > 50 or label.count(" ") >= 6]
