"""When two rows hold the same text: one normalised key per text (or text pair), and groups of equal keys.

Two texts are the same when they differ only in case, in spaces, or in full-width/half-width and other
compatibility forms: the key is the Unicode NFKC form (full-width ``ＡＢＣ１２３`` and ideographic spaces become
``ABC123`` and plain spaces, half-width katakana full-width), case-folded, without zero-width characters, with
runs of white space made one space and the spaces next to Chinese or Japanese characters (which separate
nothing there) removed. For sentence pairs the key is the pair. :func:`group_ids` numbers the groups of equal
keys in order of first appearance; the split (``core.data.split``), the health report (``core.data.health``)
and dropping duplicates (``core.data.dedupe``) all group rows with it, so they agree on what a duplicate is.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

PAIR_SEPARATOR = "\x1f"
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CJK = "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_SPACE = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")


def normalise_text(text: Any) -> str:
    """The key two texts share when they differ only in case, spaces or full-width/half-width forms."""
    text = str(text)
    if text.isascii():  # the fast path: NFKC changes nothing, casefold is lower, no CJK
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = " ".join((_ZERO_WIDTH.sub("", folded) if _ZERO_WIDTH.search(folded) else folded).split())
    return _CJK_SPACE.sub("", folded) if " " in folded else folded


def text_keys(texts: pd.Series, pairs: pd.Series | None = None) -> pd.Series:
    """Each row's normalised key: its text's, or for sentence pairs both texts'."""
    keys = _normalised(texts)
    if pairs is not None:
        keys = keys + PAIR_SEPARATOR + _normalised(pairs)
    return keys.astype(object)


def _normalised(texts: pd.Series) -> pd.Series:
    """:func:`normalise_text` of each text, each distinct text normalised once."""
    codes, uniques = pd.factorize(texts.astype(object), use_na_sentinel=False)
    table = np.array([normalise_text(text) for text in uniques], dtype=object)
    return pd.Series(table[codes] if len(codes) else [], index=texts.index, dtype=object)


def group_ids(texts: pd.Series, pairs: pd.Series | None = None) -> np.ndarray:
    """A group number per row (0, 1, ... in order of first appearance); rows with equal keys share one."""
    codes, _ = pd.factorize(text_keys(texts, pairs))
    return codes.astype(np.int64)


def repeated(groups: np.ndarray) -> tuple[int, int]:
    """(rows that repeat an earlier row's text, texts that appear more than once) for :func:`group_ids`."""
    if len(groups) == 0:
        return 0, 0
    sizes = np.bincount(groups)
    return int(len(groups) - len(sizes)), int((sizes > 1).sum())


def shown_key(key: str) -> str:
    """A key as a person reads it: a pair's two texts separated by ' | '."""
    return key.replace(PAIR_SEPARATOR, " | ")
