"""How label values are written and ordered, shared by single-label and multi-label reading.

:func:`normalise_labels` writes a label one way (stripped, integral numbers without sign or
decimals); :func:`sort_labels` orders a data set's labels (numbers numerically, anything else
alphabetically). ``core.data.labelled`` (one label per row) and ``core.data.multilabel`` (a tuple
of labels per row) both build on it.
"""

from __future__ import annotations

import pandas as pd


def sort_labels(values: list[str]) -> list[str]:
    """Numbers in numeric order, anything else alphabetically."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def normalise_labels(labels: pd.Series) -> pd.Series:
    """Strip whitespace and write integral numbers one way: '1.0', '+1' and ' 1 ' all become '1'."""
    out = labels.astype("string").str.strip()
    out = out.str.replace(r"^\+?(-?\d+)(\.0*)?$", r"\1", regex=True)
    return out.replace("-0", "0")
