"""Prediction speed against ``transformers.pipeline``, measured in the same run, and bf16-vs-fp32 agreement.

    .venv/bin/python bench/bench_predict.py [--threads 1] [--repeat 5] [--file-repeat 3] [--texts 100]
                                            [--model default] [--run RUN]

Measures, alternating ours and the baseline in every repeat (the machine is shared; the median over
repeats is printed):
  one text  ``predict_texts(loaded, [text])`` against ``pipeline("text-classification", model=...,
            top_k=None)(text)``, one call per SST-2 test sentence (the first ``--texts``): p50 and p90
            latency of each repeat. Target: ours p50 < 10 ms.
  file      ``predict_file`` on ../shared/data/sst2/test.csv (1,821 rows; reads the CSV, predicts, writes
            the predictions CSV) against the pipeline with its defaults over the same sentences (pandas
            reads the CSV, ``pipe(texts)``, the results written as CSV). Target: >= 3x its rows/s.
  agreement ``precision="auto"`` (bf16 where the CPU has it) against ``precision="fp32"`` on every SST-2 test
            sentence: max |probability difference| and argmax agreement; with ``--run`` also for that run.
  similar   with ``--run``: ``similar_examples`` over a 10,000-row index (a copy of the run in a temporary
            folder with a synthetic index), median of ``--repeat`` queries after the first.
The process uses ``--threads`` torch threads for everything (default 1, what ``app.py --threads`` gives each
request); library code never changes it. Prints timings only; tests never assert on them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
SST2_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "sst2" / "test.csv"


def latencies(function: Callable[[str], Any], texts: list[str]) -> tuple[float, float]:
    """(p50, p90) in ms of ``function(text)`` over ``texts``."""
    times = []
    for text in texts:
        start = time.perf_counter()
        function(text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.9))]


def one_text(ours: Callable[[str], Any], pipe: Any, texts: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    ours(texts[0]), pipe(texts[0])  # warm-up: builds the prediction copy, first-call allocations
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "pipeline": []}
    for r in range(repeat):
        order = ("ours", "pipeline") if r % 2 == 0 else ("pipeline", "ours")
        for name in order:
            runs[name].append(latencies(ours if name == "ours" else pipe, texts))
    return {name: (statistics.median(p[0] for p in values), statistics.median(p[1] for p in values))
            for name, values in runs.items()}


def whole_file(loaded: Any, pipe: Any, repeat: int, folder: Path) -> dict[str, float]:
    """Median seconds of each engine over the SST-2 test file."""
    import pandas as pd

    from core.data import Columns
    from core.inference import predict_file

    def pipeline_file() -> None:
        frame = pd.read_csv(SST2_TEST)
        results = pipe(frame["sentence"].astype(str).tolist())
        frame["predicted_label"] = [max(r, key=lambda s: s["score"])["label"] for r in results]
        for label in [s["label"] for s in results[0]]:
            frame[f"p_{label}"] = [next(s["score"] for s in r if s["label"] == label) for r in results]
        frame.to_csv(folder / "pipeline.csv", index=False)

    engines = {"ours": lambda: predict_file(loaded, SST2_TEST, folder / "ours.csv", Columns(text="sentence")),
               "pipeline": pipeline_file}
    times: dict[str, list[float]] = {"ours": [], "pipeline": []}
    engines["ours"]()
    for r in range(repeat):
        for name in (("ours", "pipeline") if r % 2 == 0 else ("pipeline", "ours")):
            start = time.perf_counter()
            engines[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def agreement(model: str, texts: list[str]) -> str:
    import numpy as np

    from core.inference import load_for_inference
    from core.inference.loading import prediction_model
    from core.inference.predict import class_probabilities

    loaded = load_for_inference(model)
    fast = class_probabilities(loaded, texts, batch_size=64)
    exact = class_probabilities(loaded, texts, batch_size=64, precision="fp32")
    agree = float((fast.argmax(1) == exact.argmax(1)).mean())
    margin = np.abs(exact - 1 / exact.shape[1]).max(axis=1)
    flipped = margin[fast.argmax(1) != exact.argmax(1)]
    note = f"; fp32 top probability of the flipped rows <= {1 / exact.shape[1] + flipped.max():.4f}" if len(flipped) else ""
    return (f"{loaded.source.display}: prediction copy runs {prediction_model(loaded).precision}; max |p - p_fp32| "
            f"{np.abs(fast - exact).max():.5f}, argmax agreement {agree * 100:.2f}% ({int(agree * len(texts))}/"
            f"{len(texts)}){note}")


def similar_timing(run: Path, repeat: int, text: str) -> str:
    import numpy as np

    from core.inference import load_for_inference
    from core.inference.similar import EMBEDDINGS, META, ROWS, index_folder, similar_examples

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(shutil.copytree(run, Path(tmp) / run.name, ignore=shutil.ignore_patterns("checkpoints", "index")))
        loaded = load_for_inference(str(copy))
        dim = int(loaded.model.config.hidden_size)
        vectors = np.random.default_rng(0).standard_normal((10_000, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        folder = index_folder(copy)
        folder.mkdir()
        np.save(folder / EMBEDDINGS, vectors.astype(np.float16))
        (folder / ROWS).write_text("".join(json.dumps({"text": f"row {i}", "label": "x"}) + "\n" for i in range(10_000)))
        (folder / META).write_text(json.dumps({"max_length": 128}))
        start = time.perf_counter()
        similar_examples(loaded, copy, text)
        first = time.perf_counter() - start
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            similar_examples(loaded, copy, text)
            times.append(time.perf_counter() - start)
    return (f"similar_examples, 10,000-row index, k=5: {statistics.median(times) * 1000:.1f} ms median "
            f"(first query, reading the index: {first * 1000:.1f} ms); target < 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file-repeat", type=int, default=3)
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--model", default="default")
    parser.add_argument("--run", type=Path, help="a finished run: agreement on its fine-tuned model, similar examples")
    args = parser.parse_args()

    import pandas as pd
    import torch
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    from core.inference import load_for_inference, predict_texts
    from core.modelref import source_of

    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)  # this benchmark process only
    texts = pd.read_csv(SST2_TEST)["sentence"].astype(str).tolist()
    loaded = load_for_inference(args.model)  # the cached model, eager attention, as the app loads it
    pipe = pipeline("text-classification", model=source_of(args.model).location, top_k=None)
    print(f"{loaded.source.display}; torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) for both "
          f"engines; SST-2 test sentences")

    single = one_text(lambda t: predict_texts(loaded, [t]), pipe, texts[: args.texts], args.repeat)
    (o50, o90), (p50, p90) = single["ours"], single["pipeline"]
    print(f"one text ({args.texts} sentences x {args.repeat} repeats, median of the repeats' percentiles):")
    print(f"  ours      p50 {o50:6.2f} ms  p90 {o90:6.2f} ms   target p50 < 10 ms: {'met' if o50 < 10 else 'MISSED'}")
    print(f"  pipeline  p50 {p50:6.2f} ms  p90 {p90:6.2f} ms   ours is {p50 / o50:.2f}x faster at p50, "
          f"{p90 / o90:.2f}x at p90")

    with tempfile.TemporaryDirectory() as tmp:
        seconds = whole_file(loaded, pipe, args.file_repeat, Path(tmp))
    rows = len(texts)
    ratio = seconds["pipeline"] / seconds["ours"]
    print(f"file ({rows} rows, file to file, median of {args.file_repeat}):")
    print(f"  ours      {seconds['ours']:6.2f} s  {rows / seconds['ours']:7.1f} rows/s")
    print(f"  pipeline  {seconds['pipeline']:6.2f} s  {rows / seconds['pipeline']:7.1f} rows/s   ours is "
          f"{ratio:.2f}x its throughput; target >= 3x: {'met' if ratio >= 3 else 'MISSED'}")

    print("bf16 vs fp32 on all SST-2 test sentences:")
    print("  " + agreement(args.model, texts))
    if args.run:
        print("  " + agreement(str(args.run), texts))
        print(similar_timing(args.run.resolve(), args.repeat * 4, texts[0]))


if __name__ == "__main__":
    main()
