"""Token-by-token matrix helpers shared by the attention and head figures: axis labels, masking of
weak links and of the causal upper triangle, and the segment boundary of a sentence pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MASKED_COLOR = "#d5d9de"



HOVER = "from %{y}<br>to %{x}<br>weight %{z:.4f}<extra></extra>"



def token_labels(tokens: list[str]) -> list[str]:
    """Axis labels ``index:token``; byte-level BPE's space marker Ġ is shown as ␣."""
    return [f"{i}:{t.replace('Ġ', '␣')}" for i, t in enumerate(tokens)]



def shown(matrix: np.ndarray, threshold: float = 0.0, causal: bool = False) -> np.ndarray:
    """float32 copy with weak links (< threshold) and a decoder's masked future set to NaN (blank)."""
    shown = np.array(matrix, dtype=np.float32, copy=True)
    if threshold > 0:
        shown[shown < threshold] = np.nan
    if causal:
        shown[np.triu_indices(shown.shape[-1], 1)] = np.nan
    return shown



def boundary_lines(boundary: int | None, size: int, axis: str = "") -> list[dict[str, Any]]:
    if boundary is None or not 0 < boundary < size:
        return []
    style = dict(color="#d9480f", width=2, dash="dash")
    ref = dict(xref=f"x{axis}", yref=f"y{axis}")
    at = boundary - 0.5
    return [dict(type="line", x0=at, x1=at, y0=-0.5, y1=size - 0.5, line=style, **ref),
            dict(type="line", x0=-0.5, x1=size - 0.5, y0=at, y1=at, line=style, **ref)]
