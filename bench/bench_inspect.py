"""Benchmark ``inspect`` on a generated labelled CSV against plain ``pandas.read_csv`` of the same file.

Usage: ``python bench/bench_inspect.py [--rows 1000000] [--model default]``. Writes the CSV to a temp
folder, runs each measurement in its own subprocess (so peak RSS is that job's alone) and prints
rows/s, seconds, peak MB and the ratio to the baseline measured in the same run. Target: 1M rows in
under 30 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = ["the", "a", "film", "movie", "story", "actor", "plot", "great", "awful", "boring", "moving", "funny",
         "dull", "brilliant", "slow", "quick", "scene", "music", "camera", "script", "ending", "heart", "cast",
         "director", "wonderful", "terrible,", '"quoted"', "café", "naïve"]
LABELS = ["positive", "negative", "neutral"]

JOB = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
kind, path, model = sys.argv[1], sys.argv[2], sys.argv[3] or None
start = time.perf_counter()
if kind == "baseline":
    import pandas as pd
    rows = len(pd.read_csv(path))
else:
    from core.data import inspect_file
    rows = inspect_file(path, model=model)["rows_read"]
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rows": rows, "seconds": seconds, "peak_mb": peak_mb}}))
"""


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """A sentiment-like CSV: texts of 3-40 words (some quoted with commas), 3 labels, a few repeats."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("id,text,label\n")
        for i in range(rows):
            text = " ".join(rng.choices(WORDS, k=rng.randint(3, 40)))
            text = '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text
            handle.write(f"{i},{text},{rng.choice(LABELS)}\n")


def measure(kind: str, path: Path, model: str | None) -> dict[str, float]:
    """Run one job in a fresh interpreter and return its rows, seconds and peak MB."""
    done = subprocess.run([sys.executable, "-c", JOB.format(root=str(ROOT)), kind, str(path), model or ""],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--model", default=None, help="also measure token lengths with this model ('default')")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        write_csv(path, args.rows)
        print(f"file: {args.rows:,} rows, {path.stat().st_size / 1024**2:,.1f} MB")
        baseline = measure("baseline", path, None)
        result = measure("inspect", path, args.model)
    for name, r in (("pandas.read_csv", baseline), ("inspect" + (f" --model {args.model}" if args.model else ""), result)):
        print(f"{name:28s} {r['rows'] / r['seconds']:>12,.0f} rows/s {r['seconds']:8.2f} s {r['peak_mb']:8.0f} MB peak")
    print(f"ratio inspect/baseline: time {result['seconds'] / baseline['seconds']:.2f}x, "
          f"memory {result['peak_mb'] / baseline['peak_mb']:.2f}x")
    verdict = "PASS" if result["seconds"] < 30 and result["peak_mb"] < 2048 else "FAIL"
    print(f"target (<30 s, <2048 MB): {verdict}")


if __name__ == "__main__":
    main()
