"""Interactive attention views drawn in the browser: the head view (token-to-token lines for every head
of a layer) and the neuron view (query/key vectors of one head), as plain data plus a small vanilla JS.

The data is built here from ``core.attention`` results; the drawing is ``viewkit.js`` + ``headview.js``
+ ``neuronview.js`` beside this module (SVG, no library, no network). The same JS serves the app (the
Attention tab runs it in ``gr.HTML``'s ``js_on_load``), standalone HTML files (CLI, exports) and
fragments for the offline report. Token strings are user text: the JS writes them only as text nodes,
and the JSON put in a page has ``<``, ``>``, ``&`` (and U+2028/9) escaped, so no token can end a
script or open a tag. Plotly figures are ``core.plots.attention``.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from core.attention.extract import AttentionResult
from core.attention.neurons import QueryKey, reproduce
from core.errors import DataError
from core.plots.attention import view_tokens
from core.plots.fonts import with_font

ALL_LAYERS_VALUES = 250_000  # include every layer (in-view layer chooser) while layers*heads*T*T stays under this
DISPLAY = {"Ġ": "␣", "▁": "␣", "Ċ": "↵", "ĉ": "⇥"}
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@cache
def view_js() -> str:
    """The JS that draws both views: defines ``tsRender(element, data)``."""
    folder = Path(__file__).parent
    return "\n".join((folder / name).read_text(encoding="utf-8") for name in ("viewkit.js", "headview.js",
                                                                              "neuronview.js"))


def display_tokens(tokens: list[str]) -> list[str]:
    """Tokens as people read them: byte-level BPE's space marks become ␣ (and newlines ↵)."""
    return ["".join(DISPLAY.get(char, char) for char in token) for token in tokens]


def view_json(data: dict[str, Any]) -> str:
    """JSON safe to put inside a ``<script>`` element or an HTML attribute's JS: no ``<``, ``>``, ``&``."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _rounded(array: np.ndarray, precision: int | None) -> list[Any]:
    return (array if precision is None else np.round(array.astype(np.float64), precision)).tolist()


def head_view_data(result: AttentionResult, layer: int = 0, show_special: bool = True, renormalise: bool = False,
                   threshold: float = 0.0, all_layers: bool | None = None, precision: int | None = 4,
                   focus: int | None = None) -> dict[str, Any]:
    """The head view of ``layer`` (and of every layer when small enough, or when ``all_layers``); ``focus`` is a
    token index (of ``result.tokens``) to open focused and pinned, e.g. the position a fill-mask predicted.

    Uses exactly the heatmap's data: the same extraction, the same special-token choice
    (``view_tokens``); weights are rounded to ``precision`` decimals (None = exact float32 values).
    """
    layers, heads, size = result.attentions.shape[:3]
    if not 0 <= layer < layers:
        raise DataError(f"layer {layer} does not exist: this model has layers 0..{layers - 1}.")
    if all_layers is None:
        all_layers = layers * heads * size * size <= ALL_LAYERS_VALUES
    chosen = list(range(layers)) if all_layers else [layer]
    tokens, matrices, note = view_tokens(result.tokens, result.attentions[chosen], result.special, show_special,
                                         renormalise)
    keep = [i for i, flag in enumerate(result.special) if show_special or not flag] if tokens is not result.tokens \
        else list(range(size))
    boundary = next((k for k, i in enumerate(keep) if result.segments[i] != result.segments[keep[0]]), None)
    notes = [note, "causal model: each token attends only to itself and earlier tokens, so no line goes to a later "
                   "token (later tokens fade when you focus one)" if result.causal else "",
             "" if all_layers else f"{layers * heads} heads × {size}² weights: one layer at a time (use the Layer slider)"]
    title = f"Head view · all {heads} heads" + ("" if all_layers else f" · layer {layer}")
    return {"kind": "head", "title": title, "notes": [n for n in notes if n],
            "tokens": display_tokens(tokens), "special": [result.special[i] for i in keep],
            "layers": chosen, "layer": chosen.index(layer), "heads": heads, "boundary": boundary or None,
            "causal": result.causal, "threshold": float(threshold), "attn": _rounded(matrices, precision),
            "focus": keep.index(focus) if focus in keep else None}


def neuron_view_data(qk: QueryKey, head: int = 0, query: int | None = None, precision: int | None = 4) -> dict[str, Any]:
    """The neuron view of ``qk``'s layer, starting on ``head`` and on ``query`` (default: the summary token)."""
    heads, size, dim = qk.queries.shape
    if not 0 <= head < heads:
        raise DataError(f"head {head} does not exist: this model has heads 0..{heads - 1}.")
    error = float(np.abs(reproduce(qk) - qk.weights).max())
    check = (f"softmax(q·k × {qk.scale:.4g} + mask) reproduces the model's weights to {error:.1e}" if error < 1e-3
             else f"softmax(q·k × scale + mask) differs from the model's weights by up to {error:.3f}")
    notes = [check, *qk.notes, "causal model: keys after the query token are masked (−∞ before the softmax)"
             if qk.causal else "every token may attend to every token (no mask)"]
    start = query if query is not None else (size - 1 if qk.causal else 0)
    return {"kind": "neuron", "title": f"Neuron view · layer {qk.layer} · {heads} heads × {dim} dimensions",
            "notes": notes, "tokens": display_tokens(qk.tokens), "special": qk.special, "layer": qk.layer,
            "heads": heads, "head": head, "query": min(max(start, 0), size - 1), "dim": dim, "scale": qk.scale,
            "causal": qk.causal, "q": _rounded(qk.queries, precision), "k": _rounded(qk.keys, precision),
            "max_error": error,
            "other": None if qk.other is None else _rounded(qk.other, precision)}


def fragment(data: dict[str, Any], element_id: str = "tunescope-view") -> str:
    """A ``<div>`` and an inline script drawing the view into it (for a page that allows inline scripts)."""
    safe_id = html.escape(element_id, quote=True)
    return (f'<div id="{safe_id}"></div>\n<script type="application/json" id="{safe_id}-data">{view_json(data)}'
            f'</script>\n<script>\n{view_js()}\ntsRender(document.getElementById({json.dumps(element_id)}), '
            f'JSON.parse(document.getElementById({json.dumps(element_id + "-data")}).textContent));\n</script>')


def standalone_html(data: dict[str, Any], title: str = "TuneScope attention") -> str:
    """One HTML file that opens offline (strict Content-Security-Policy: nothing leaves the file)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title></head>\n<body style="margin:12px">\n{fragment(data)}\n</body></html>\n')


def write_html(data: dict[str, Any], path: str | Path, title: str = "TuneScope attention") -> Path:
    """Write :func:`standalone_html` to ``path`` (``.html`` added when missing)."""
    path = Path(path)
    if path.suffix.lower() != ".html":
        path = path.with_suffix(".html")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(with_font(standalone_html(data, title)), encoding="utf-8")  # CJK renders offline
    return path
