"""Split validation rows off a labelled table so that no text is on both sides.

Rows whose texts differ only in case, spaces or full-width forms (``core.data.duplicates``; for sentence pairs,
the pair) form a group, and a group goes to training or to validation whole: a copy of a validation text in
training would flatter every validation score. The split is seeded and stratified by label (multi-label rows by
their rarest label) wherever a class is large enough. Data without repeated texts is split exactly as before
groups existed (``sklearn``'s stratified ``train_test_split``), so runs made then read the same rows;
``grouped=False`` keeps that split for runs trained before it grouped. :func:`without_overlap` takes the texts of
a separate validation file out of the training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.duplicates import group_ids, text_keys
from core.data.labelled import LABEL, TEXT, TEXT_PAIR, LabelledData
from core.errors import DataError

SPLIT = "grouped"  # config.resolved["split"] of runs whose split keeps repeated texts on one side


def split_train_val(data: LabelledData, fraction: float, seed: int,
                    grouped: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, validation rows): a seeded, stratified split that keeps each repeated text on one side.

    A stratified split needs two rows of every class on each side; smaller classes fall back to a plain
    seeded split. Multi-label rows are stratified by their rarest label (rows without a label form their own
    group). ``grouped=False``: the split of runs trained before duplicates were grouped.
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"The validation fraction must be between 0 and 1 (got {fraction}), e.g. 0.1.")
    frame = data.frame
    n_val = max(1, round(len(frame) * fraction))
    if len(frame) - n_val < 1:
        raise DataError(f"Only {len(frame)} usable rows: too few to split off validation data; add rows or a validation file.")
    strata = _rarest_label(frame[LABEL], data.report.labels) if data.multi_label else frame[LABEL]
    groups = group_ids(frame[TEXT], frame[TEXT_PAIR] if TEXT_PAIR in frame.columns else None)
    if not grouped or groups.max() + 1 == len(frame):
        return _plain(frame, strata, n_val, seed)
    in_val = _grouped(groups, strata.astype(str).to_numpy(), n_val / len(frame), seed)
    order = np.random.default_rng(seed).permutation(len(frame))
    val_rows = order[in_val[groups[order]]]
    train_rows = order[~in_val[groups[order]]]
    return frame.iloc[train_rows].reset_index(drop=True), frame.iloc[val_rows].reset_index(drop=True)


def _plain(frame: pd.DataFrame, strata: pd.Series, n_val: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The row-by-row stratified split (every text once, or runs trained before groups)."""
    from sklearn.model_selection import train_test_split

    counts = strata.value_counts()
    stratified = counts.min() >= 2 and n_val >= len(counts) and len(frame) - n_val >= len(counts)
    train, val = train_test_split(frame, test_size=n_val, random_state=seed, shuffle=True,
                                  stratify=strata if stratified else None)
    return train.reset_index(drop=True), val.reset_index(drop=True)


def _grouped(groups: np.ndarray, strata: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Which groups go to validation: per stratum (a group's is its first row's), groups in a seeded order are
    taken while that brings the stratum's validation rows closer to ``fraction`` of its rows; at least one
    group on each side."""
    sizes = np.bincount(groups)
    if len(sizes) < 2:
        raise DataError(f"All {len(groups)} usable rows have the same text (ignoring case, spaces and full-width "
                        "forms): add rows with other texts, or give a validation file.")
    first = np.unique(groups, return_index=True)[1]
    codes, _ = pd.factorize(strata[first])
    target = np.bincount(codes, weights=sizes) * fraction
    taken = np.zeros(len(target))
    in_val = np.zeros(len(sizes), dtype=bool)
    order = np.random.default_rng(seed).permutation(len(sizes))
    for group in order:
        stratum = codes[group]
        if abs(taken[stratum] + sizes[group] - target[stratum]) < abs(taken[stratum] - target[stratum]):
            in_val[group] = True
            taken[stratum] += sizes[group]
    if not in_val.any():
        in_val[min(order, key=lambda g: sizes[g])] = True  # the smallest group: validation is never empty
    if in_val.all():
        in_val[order[0]] = False
    return in_val


def without_overlap(train: pd.DataFrame, val: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The training rows whose text (pair) is not in the validation rows, and how many were left out."""
    pair = TEXT_PAIR in train.columns and TEXT_PAIR in val.columns
    train_keys = text_keys(train[TEXT], train[TEXT_PAIR] if pair else None)
    seen = set(text_keys(val[TEXT], val[TEXT_PAIR] if pair else None))
    shared = train_keys.isin(seen).to_numpy()
    if shared.all():
        raise DataError("Every training row's text is also in the validation file: give a validation file with "
                        "other texts, or none (a share of the training file is then held out).")
    return train[~shared].reset_index(drop=True), int(shared.sum())


def _rarest_label(labels: pd.Series, counts: dict[str, int]) -> pd.Series:
    """Each row's rarest label ('' for none): the group a multi-label row is stratified by."""
    return labels.map(lambda row: min(row, key=counts.__getitem__) if row else "")
