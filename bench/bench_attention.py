"""Attention-studio latency on the default MiniLM (6 layers x 12 heads), against baselines of the same run.

    .venv/bin/python bench/bench_attention.py [--tokens 128] [--repeat 7]

Measures the median wall time of
  ours      everything the attention tab needs for one input: extraction (one eager forward), mean over
            heads, rollout, attention from [CLS], head statistics, and the head / model-grid / aggregates /
            stats figures serialised to JSON (what goes to the browser). Target: under 300 ms at 128 tokens.
  forward   baseline: the raw ``model(**inputs, output_attentions=True)`` forward pass alone, with torch's
            default threads (what a plain script does) and on one thread (what ``extract_attention`` uses).
  naive     baseline: the usual model-view build, ``make_subplots(layers, heads)`` with one full-size heatmap
            trace per head, serialised to JSON.
and, at 512 tokens, the model-grid payload pooled vs unpooled. Head importance (layers x heads masked
forwards) and integrated gradients are timed too but are not part of the 300 ms budget: the tab runs
them on request. It prints timings only; tests never assert on them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TEXT = ("the film opens slowly, but the acting is wonderful and the story of a family that loses everything "
        "and finds its way back is moving, funny and honest; ") * 20


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds over ``repeat`` runs after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import torch
    from plotly.subplots import make_subplots

    from core.attention.attributions import integrated_gradients
    from core.attention.extract import encode, extract_attention
    from core.attention.heads import head_importance
    from core.inference import load_for_inference
    from core.plots import attention as plots

    loaded = load_for_inference("default")
    model, tokenizer = loaded.model, loaded.tokenizer
    encoded, _, _ = encode(tokenizer, TEXT, max_length=args.tokens)

    def forward() -> Any:
        with torch.inference_mode():
            return model(**encoded, output_attentions=True)

    def forward_one_thread() -> Any:  # the app serves each request on one thread (app.py --threads)
        saved = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return forward()
        finally:
            torch.set_num_threads(saved)

    def ours() -> int:
        result = extract_attention(model, tokenizer, TEXT, max_length=args.tokens)
        figures = [plots.standard_figure(view, result, layer=2, head=3, threshold=0.02)
                   for view in plots.STANDARD_VIEWS]
        return sum(len(figure.to_json()) for figure in figures)

    def naive() -> int:
        result = extract_attention(model, tokenizer, TEXT, max_length=args.tokens)
        layers, heads = result.attentions.shape[:2]
        figure = make_subplots(rows=layers, cols=heads)
        for layer in range(layers):
            for head in range(heads):
                figure.add_heatmap(z=result.attentions[layer, head].tolist(), showscale=False, row=layer + 1,
                                   col=head + 1)
        return len(figure.to_json())

    t_forward, _ = timed(forward, args.repeat)
    t_forward_one, _ = timed(forward_one_thread, args.repeat)
    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # from here on, as the app serves requests (python app.py --threads 1)
    t_ours, ours_bytes = timed(ours, args.repeat)
    t_naive, naive_bytes = timed(naive, max(1, args.repeat // 3))
    size = encoded["input_ids"].shape[1]
    print(f"default model, {size} tokens, median of {args.repeat} runs (2 shared CPU cores)")
    print(f"  forward (baseline)   {t_forward * 1000:8.1f} ms  with torch's {default_threads} threads; "
          f"{t_forward_one * 1000:.1f} ms on one thread")
    print(f"  ours: data + 4 views {t_ours * 1000:8.1f} ms  = {t_ours / t_forward_one:4.1f}x the one-thread forward, "
          f"{t_forward / t_ours:4.1f}x faster than the default-threads forward alone; {ours_bytes / 1e6:.2f} MB JSON; "
          f"target < 300 ms: {'met' if t_ours < 0.3 else 'MISSED'}")
    print(f"  naive model view     {t_naive * 1000:8.1f} ms  (ours is {t_naive / t_ours:4.1f}x faster for all four "
          f"views); {naive_bytes / 1e6:.2f} MB JSON for the grid alone")

    long = extract_attention(model, tokenizer, TEXT * 3, max_length=512)
    t_grid, grid = timed(lambda: plots.model_grid_figure(long.attentions).to_json(), 3)
    t_full, full = timed(lambda: plots.model_grid_figure(long.attentions, cells=512).to_json(), 1)
    print(f"  512-token grid       {t_grid * 1000:8.1f} ms, {len(grid) / 1e6:.2f} MB pooled to 32x32 per head "
          f"(unpooled: {t_full * 1000:.0f} ms, {len(full) / 1e6:.1f} MB)")

    t_importance, _ = timed(lambda: head_importance(model, tokenizer, TEXT, max_length=args.tokens), 1)
    t_ig, _ = timed(lambda: integrated_gradients(model, tokenizer, TEXT, max_length=args.tokens), 1)
    print(f"  head importance      {t_importance * 1000:8.1f} ms  (73 masked forwards, batched; on request)")
    print(f"  integrated gradients {t_ig * 1000:8.1f} ms  (32 steps; on request)")
    thirty = " ".join(["the quiet hotel by the sea had friendly staff and"] * 4)
    short, _, _ = encode(tokenizer, thirty, max_length=30)
    clipped = tokenizer.decode(short["input_ids"][0][1:-1])
    t_explain, _ = timed(lambda: integrated_gradients(model, tokenizer, clipped, n_steps=16, max_length=256),
                         args.repeat)
    print(f"  Predict-tab evidence {t_explain * 1000:8.1f} ms  (integrated gradients, 16 steps, 30 tokens, one "
          f"thread; target < 1000 ms: {'met' if t_explain < 1 else 'MISSED'})")
    interactive_views(model, tokenizer, args.repeat)


def interactive_views(model: Any, tokenizer: Any, repeat: int) -> None:
    """The head view (lines) and neuron view payloads, and bertviz's head_view page for the same input when
    bertviz is installed (a bench/test-only comparison; the app never imports it)."""
    from core.attention.extract import extract_attention
    from core.attention.neurons import query_key
    from core.plots.headview import head_view_data, neuron_view_data, view_json

    for tokens in (32, 128):
        result = extract_attention(model, tokenizer, TEXT, max_length=tokens)
        t_head, head = timed(lambda r=result: view_json(head_view_data(r, 2)), repeat)
        t_neuron, neuron = timed(lambda t=tokens: view_json(neuron_view_data(
            query_key(model, tokenizer, TEXT, None, 2, max_length=t), 3)), repeat)
        layers = len(json.loads(head)["layers"])
        print(f"  head view, {tokens} tok  {t_head * 1000:8.1f} ms after extraction, {len(head) / 1e6:.2f} MB JSON "
              f"({layers} layer(s) x 12 heads); neuron view {t_neuron * 1000:.1f} ms incl. its forward, "
              f"{len(neuron) / 1e6:.2f} MB")
        try:
            import torch
            from bertviz import head_view
        except ImportError:
            continue
        encoded = tokenizer(TEXT, truncation=True, max_length=tokens, return_tensors="pt")
        with torch.inference_mode():
            attentions = model(**encoded, output_attentions=True).attentions
        names = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
        t_viz, page = timed(lambda a=attentions, n=names: head_view(a, n, html_action="return").data, repeat)
        print(f"  bertviz head_view     {t_viz * 1000:8.1f} ms, {len(page) / 1e6:.2f} MB page (all layers, full "
              "precision; loads require.js, d3 and jQuery from a CDN)")


if __name__ == "__main__":
    main()
