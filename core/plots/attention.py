"""Plotly figures for the attention studio, built from plain data (tokens, numpy arrays, dicts).

Pure functions: no model, no file, no gradio. Each takes what ``core.attention`` returns and gives
back a ``go.Figure`` that works offline (exports inline plotly.js). These are the token-level views
(one head, the model grid, aggregates); whole-head figures are in ``core.plots.heads``. Large inputs stay light for the browser: the model-view grid pools each
head's T x T matrix to at most ``GRID_CELLS`` x ``GRID_CELLS`` and says so in its title; the
threshold blanks weak links. Hiding special tokens is a data step (``view_tokens``) shared by views.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.attention.extract import (
    AttentionResult,
    attention_from,
    drop_special,
    mean_over_heads,
    pool,
    rollout,
)
from core.attention.heads import head_statistics
from core.errors import DataError
from core.plots import style
from core.plots.heads import head_stats_figure
from core.plots.matrix import HOVER, MASKED_COLOR, boundary_lines, shown, token_labels

GRID_CELLS = 32
EXPORT_WIDTH = 1200  # PNG exports only: in the page, figures have no width and fill their container


def view_tokens(tokens: list[str], matrix: np.ndarray, special: list[bool], show_special: bool = True,
                renormalise: bool = False) -> tuple[list[str], np.ndarray, str]:
    """Apply the special-token choice to ``[..., T, T]``; returns (tokens, matrix, a note saying what was done)."""
    if show_special or not any(special):
        return tokens, matrix, ""
    matrix, keep = drop_special(matrix, special, renormalise)
    note = "special tokens hidden; rows renormalised to sum to 1" if renormalise else \
        "special tokens hidden; rows not renormalised (the missing mass went to special tokens)"
    return [tokens[i] for i in keep], matrix, note


def head_figure(tokens: list[str], matrix: np.ndarray, title: str, threshold: float = 0.0,
                causal: bool = False, boundary: int | None = None, note: str = "") -> go.Figure:
    """Head view: token-to-token heatmap (rows = queries attend to columns = keys) with hover values.

    Weights under ``threshold`` are blanked; for decoders the masked future (upper triangle) is drawn
    grey; ``boundary`` (first token of the second text) is marked by dashed lines.
    """
    size = len(tokens)
    labels = token_labels(tokens)
    trace = dict(type="heatmap", z=shown(matrix, threshold, causal), x=labels, y=labels, colorscale="Blues",
                 zmin=0, zmax=1, hovertemplate=HOVER, hoverongaps=False)
    notes = [note, f"links under {threshold:g} hidden" if threshold > 0 else "",
             "causal mask: grey cells are future tokens a decoder cannot see" if causal else "",
             "dashed line: start of the second text" if boundary else ""]
    side = min(860, max(460, 14 * size + 200))
    ticks = size <= 160
    return style.figure([trace], dict(
        title=style.title(title, notes), height=side, shapes=boundary_lines(boundary, size),
        plot_bgcolor=MASKED_COLOR if causal else "white",
        xaxis=dict(title="key (attends to)", tickangle=-60, tickfont=dict(size=9), showticklabels=ticks,
                   automargin=True),
        yaxis=dict(title="query (attends from)", autorange="reversed", tickfont=dict(size=9), showticklabels=ticks,
                   automargin=True),
    ))


def model_grid_figure(attentions: np.ndarray, title: str = "Model view", threshold: float = 0.0,
                      causal: bool = False, cells: int = GRID_CELLS) -> go.Figure:
    """Model view: every layer (rows) x head (columns) as small multiples in one heatmap trace.

    Matrices longer than ``cells`` tokens are pooled (query rows averaged, key columns summed) so the
    browser gets at most ``cells`` x ``cells`` per head; the title says when that happened.
    """
    layers, heads, size = attentions.shape[0], attentions.shape[1], attentions.shape[-1]
    pooled, block = pool(attentions, cells)
    side = pooled.shape[-1]
    gap = max(1, side // 10)
    step = side + gap
    canvas = np.full((layers * step - gap, heads * step - gap), np.nan, dtype=np.float32)
    tiles = shown(pooled, threshold)
    if causal and block == 1:
        tiles[..., np.triu_indices(side, 1)[0], np.triu_indices(side, 1)[1]] = np.nan
    for layer in range(layers):
        for head in range(heads):
            canvas[layer * step:layer * step + side, head * step:head * step + side] = tiles[layer, head]
    trace = dict(type="heatmap", z=canvas, colorscale="Blues", zmin=0, zmax=1, hoverongaps=False,
                 hovertemplate="weight %{z:.3f}<extra></extra>", showscale=False)
    centers = [i * step + (side - 1) / 2 for i in range(max(layers, heads))]
    notes = [f"{size} tokens pooled to {side}x{side} per head (blocks of {block})" if block > 1 else f"{size} tokens, one cell each",
             "pick a layer and head to open one", f"links under {threshold:g} hidden" if threshold > 0 else ""]
    width = min(1100, 90 + heads * 70)
    return style.figure([trace], dict(
        title=style.title(title, notes), height=int(width * layers / heads) + 130,
        xaxis=dict(tickvals=centers[:heads], ticktext=[f"H{h}" for h in range(heads)], side="top", showgrid=False,
                   zeroline=False, constrain="domain"),
        yaxis=dict(tickvals=centers[:layers], ticktext=[f"L{i}" for i in range(layers)], autorange="reversed",
                   showgrid=False, zeroline=False, scaleanchor="x"),
    ))


def aggregates_figure(tokens: list[str], mean: np.ndarray, rolled: np.ndarray, summary: np.ndarray, layer: int,
                      summary_name: str, causal: bool = False, boundary: int | None = None,
                      note: str = "") -> go.Figure:
    """Three panels: ``mean`` over heads (one layer, T x T), ``rolled`` rollout up to that layer (T x T),
    and ``summary`` = attention from the summary token ([CLS], or the last token for decoders) per layer."""
    labels, size = token_labels(tokens), len(tokens)
    layout = style.panel_layout(style.panels([0.36, 0.36, 0.28]), [f"mean over heads, layer {layer}",
                                                        f"rollout, layers 0..{layer}",
                                                        f"attention from {summary_name} per layer"], size)
    traces = [dict(type="heatmap", z=shown(matrix, 0.0, causal), x=labels, y=labels, coloraxis="coloraxis",
                   hovertemplate=HOVER, hoverongaps=False, xaxis=f"x{k}", yaxis=f"y{k}")
              for k, matrix in ((1, mean), (2, rolled))]
    traces.append(dict(type="heatmap", z=np.asarray(summary, dtype=np.float32), x=labels,
                       y=[f"L{i}" for i in range(len(summary))], coloraxis="coloraxis", xaxis="x3", yaxis="y3",
                       hovertemplate="layer %{y}<br>to %{x}<br>%{z:.4f}<extra></extra>"))
    layout["yaxis3"]["showticklabels"] = True
    notes = ["rollout: Abnar & Zuidema (2020), 0.5 A + 0.5 I per layer", note]
    return style.figure(traces, dict(layout, title=style.title("Aggregates", notes), height=480,
                                coloraxis=dict(colorscale="Blues", cmin=0, cmax=1),
                                plot_bgcolor=MASKED_COLOR if causal else "white",
                                shapes=boundary_lines(boundary, size) + boundary_lines(boundary, size, "2")))


STANDARD_VIEWS = ("head", "grid", "aggregates", "stats")


def standard_figure(view: str, result: AttentionResult, layer: int = 0, head: int = 0, threshold: float = 0.0,
                    show_special: bool = True, renormalise: bool = False) -> go.Figure:
    """The head, grid, aggregates or stats view of one extraction, with the display options applied.

    Aggregates and statistics are computed on the model's full matrices (special tokens included, as
    the model computes them); hiding special tokens then only drops their rows and columns from view.
    """
    layers, heads = result.attentions.shape[:2]
    if not (0 <= layer < layers and 0 <= head < heads):
        raise DataError(f"Layer {layer}, head {head} does not exist: this model has {layers} layers x {heads} heads.")
    boundary = result.segment_boundary
    if view == "stats":
        return head_stats_figure(head_statistics(result.attentions), len(result.tokens))
    if view == "aggregates":
        mean = mean_over_heads(result.attentions[layer:layer + 1])[0]
        rolled = rollout(result.attentions[:layer + 1])[-1]
        summary = attention_from(result.attentions, result.summary_index)
        name = f"the last token ({result.tokens[-1]})" if result.causal else result.tokens[result.summary_index]
        tokens, both, note = view_tokens(result.tokens, np.stack([mean, rolled]), result.special, show_special,
                                         renormalise)
        if tokens is not result.tokens:
            keep = [i for i, flag in enumerate(result.special) if not flag]
            summary, boundary = summary[:, keep], _shift(boundary, keep)
        return aggregates_figure(tokens, both[0], both[1], summary, layer, name, result.causal, boundary, note)
    if view == "grid":
        _, matrices, note = view_tokens(result.tokens, result.attentions, result.special, show_special, renormalise)
        title = "Model view" + (f" ({note})" if note else "")
        return model_grid_figure(matrices, title, threshold, result.causal)
    if view == "head":
        tokens, matrix, note = view_tokens(result.tokens, result.attentions[layer, head], result.special,
                                           show_special, renormalise)
        if tokens is not result.tokens:
            boundary = _shift(boundary, [i for i, flag in enumerate(result.special) if not flag])
        return head_figure(tokens, matrix, f"Layer {layer}, head {head}", threshold, result.causal, boundary, note)
    raise DataError(f"Unknown view '{view}': choose one of {', '.join(STANDARD_VIEWS)}.")


def sized(figure: go.Figure, width: int = EXPORT_WIDTH) -> go.Figure:
    """``figure`` with a fixed width for a PNG (in the app, figures take the page's width)."""
    if figure.layout.width is None:
        figure.update_layout(width=width)
    return figure


def _shift(boundary: int | None, keep: list[int]) -> int | None:
    """Where the segment boundary falls once only the ``keep`` tokens remain."""
    if boundary is None:
        return None
    return next((position for position, index in enumerate(keep) if index >= boundary), None)


