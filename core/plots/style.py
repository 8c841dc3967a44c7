"""The one plot style every TuneScope figure uses, and the panel helpers figures share.

A small explicit white style instead of plotly's named ``plotly_white`` template: a named template is
deep-copied and validated on every figure (50-100 ms each here), more than all the data. Figures are
declared as dicts with explicit panel domains (no ``make_subplots``/``update_*`` calls, which cost
~100 ms a figure). No data access here.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

# Chinese and Japanese text (data, tokens, the Chinese UI's titles) needs a CJK font: "TuneScope CJK" is the
# subset the app serves and exported pages embed (core.plots.fonts); then the system's, for browsers and kaleido.
FONT_FAMILY = ('"Open Sans", "Noto Sans", "TuneScope CJK", "Noto Sans CJK SC", "WenQuanYi Micro Hei", '
               '"Microsoft YaHei", "PingFang SC", sans-serif')
CJK_FONTS = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"]
_AXIS = dict(gridcolor="#EBF0F8", linecolor="#EBF0F8", zerolinecolor="#EBF0F8", ticks="")
STYLE = dict(layout=dict(font=dict(color="#2a3f5f", family=FONT_FAMILY), paper_bgcolor="white", plot_bgcolor="white",
                         xaxis=_AXIS, yaxis=_AXIS, hoverlabel=dict(align="left"),
                         colorway=["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692",
                                   "#B6E880", "#FF97FF", "#FECB52"]))
MARGIN = dict(l=50, r=20, t=50, b=40)


def styled(fig: go.Figure, title: str, height: int = 360, legend: bool = True, **extra: Any) -> go.Figure:
    """Apply the shared style, a title and a height to a figure built with ``go.Figure``."""
    fig.update_layout(template=STYLE, title=title, height=height, margin=MARGIN,
                      **({"legend": dict(orientation="h", y=-0.2)} if legend else {"showlegend": False}), **extra)
    return fig


def figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A figure from trace and layout dicts in the shared style (the fast path for large figures)."""
    base = dict(template=STYLE, margin=dict(l=60, r=20, t=80, b=50))
    return go.Figure(data=traces, layout={**base, **layout})


def title(text: str, notes: list[str]) -> dict[str, Any]:
    """A title with optional small notes underneath."""
    notes = [n for n in notes if n]
    return dict(text=text + ("<br><sup>" + "; ".join(notes) + "</sup>" if notes else ""), font=dict(size=14))


def panels(widths: list[float], gap: float = 0.07) -> list[list[float]]:
    """Horizontal x-domains for panels of relative ``widths`` separated by ``gap``."""
    usable = 1.0 - gap * (len(widths) - 1)
    total, start, out = sum(widths), 0.0, []
    for width in widths:
        end = start + usable * width / total
        out.append([start, min(1.0, end)])
        start = end + gap
    return out



def panel_layout(domains: list[list[float]], titles: list[str], size: int) -> dict[str, Any]:
    """Axes for side-by-side panels (``x``/``y``, ``x2``/``y2``, ...) and their titles."""
    layout: dict[str, Any] = {"annotations": []}
    for k, (domain, title) in enumerate(zip(domains, titles, strict=True), 1):
        suffix = "" if k == 1 else str(k)
        small = size > 80
        layout[f"xaxis{suffix}"] = dict(domain=domain, anchor=f"y{suffix}", tickangle=-60, tickfont=dict(size=8),
                                        showticklabels=not small)
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", autorange="reversed", tickfont=dict(size=8),
                                        showticklabels=not small)
        layout["annotations"].append(dict(text=title, x=sum(domain) / 2, y=1.0, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    return layout
