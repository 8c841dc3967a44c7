"""Save any TuneScope figure as standalone HTML (plotly.js inlined, opens offline) or PNG.

PNG goes through plotly's kaleido, which drives a local Chromium (Debian's /usr/bin/chromium works,
no download). When kaleido or a browser is missing, a matplotlib rendering of the figure's heatmap and
bar traces is written instead, so the export never needs the network. Building figures is left to
the other ``core.plots`` modules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DataError
from core.plots.fonts import FAMILY, TTF_FONT, with_font


def export_html(fig: Any, path: str | Path) -> Path:
    """Write a self-contained HTML page (plotly.js inline, no CDN or other network reference)."""
    path = _target(path, ".html")
    page = fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    path.write_text(with_font(page), encoding="utf-8")  # CJK text renders offline: the font is embedded
    return path


def export_png(fig: Any, path: str | Path, engine: str = "auto", scale: float = 1.0) -> tuple[Path, str]:
    """Write a PNG; returns (path, engine used: 'kaleido' or 'matplotlib')."""
    if engine not in ("auto", "kaleido", "matplotlib"):
        raise DataError("engine must be 'auto', 'kaleido' or 'matplotlib'.")
    path = _target(path, ".png")
    if engine in ("auto", "kaleido"):
        try:
            fig.write_image(str(path), format="png", scale=scale)
            return path, "kaleido"
        except Exception as exc:  # kaleido missing, no Chromium, or a browser crash
            if engine == "kaleido":
                raise DataError(f"PNG export with kaleido failed ({type(exc).__name__}: {exc}); "
                                "install kaleido and chromium, or use engine='matplotlib'.") from exc
    _matplotlib_png(fig, path)
    return path, "matplotlib"


def _target(path: str | Path, suffix: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != suffix:
        path = path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _plain(text: Any) -> str:
    return re.sub(r"<[^>]+>", " ", str(text or "")).strip()


def _matplotlib_png(fig: Any, path: Path) -> None:
    """Draw heatmap and bar traces with matplotlib, one panel per trace (a faithful-enough fallback)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from core.plots.style import CJK_FONTS

    # DejaVu first (Latin), then the shipped CJK subset, then whichever CJK font is installed: no boxes
    if TTF_FONT.exists():  # the shipped subset: Chinese renders on a machine without a CJK system font
        font_manager.fontManager.addfont(str(TTF_FONT))
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans", FAMILY, *CJK_FONTS, *plt.rcParams["font.sans-serif"]]
    traces = [t for t in fig.data if t.type in ("heatmap", "bar")]
    if not traces:
        raise DataError("This figure has nothing the PNG fallback can draw (heatmaps and bars only).")
    width = (fig.layout.width or 900) / 100
    height = (fig.layout.height or 500) / 100
    figure, axes = plt.subplots(1, len(traces), figsize=(width, height), squeeze=False)
    for axis, trace in zip(axes[0], traces, strict=True):
        if trace.type == "heatmap":
            z = np.ma.masked_invalid(np.asarray(trace.z, dtype=float))
            image = axis.imshow(z, cmap="Blues" if trace.zmid is None else "RdBu_r", aspect="auto",
                                interpolation="nearest")
            figure.colorbar(image, ax=axis, fraction=0.046)
            for name, values, setter in (("x", trace.x, axis.set_xticks), ("y", trace.y, axis.set_yticks)):
                if values is not None and len(values) <= 60:
                    setter(range(len(values)), [str(v) for v in values], fontsize=6,
                           rotation=90 if name == "x" else 0)
        else:
            labels = [str(v) for v in (trace.y if trace.orientation == "h" else trace.x)]
            values = list(trace.x if trace.orientation == "h" else trace.y)
            (axis.barh if trace.orientation == "h" else axis.bar)(labels, values, color="#1f5fb4")
            axis.tick_params(labelsize=7)
    figure.suptitle(_plain(fig.layout.title.text), fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
