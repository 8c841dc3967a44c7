"""Compression against its parent, measured in the same run: 8-bit quantization and a distilled 3-layer student.

    .venv/bin/python bench/bench_compress.py [--rows 0] [--epochs auto] [--layers 3] [--samples 300]
                                             [--parent RUN_FOLDER] [--work DIR]

SST-2 from ``../shared/data/sst2`` (``--rows`` training rows, a seeded sample; 0 = all 6,920; dev = the
validation set): the parent is a normal TuneScope run of the default model (``--epochs``, auto by default), or
an existing finished run given with ``--parent``. Then ``core.compress.compress_run`` makes (a) its int8 copy and
(b) a distilled student with ``--layers`` layers (trained as a normal run: the same settings, the teacher's soft
labels). Each is measured against the parent by ``core.compress.side_by_side`` in the same process: single-text
latency p50 over ``--samples`` texts (``predict_texts`` on one dev text at a time, tokenization included, parent and
child alternating), throughput in batches of 32, size, and accuracy on dev (the runs' ``metrics.json``) and on
SST-2's test file (``evaluate_run``). The machine's CPU and features are printed first. Targets (issue 22):
int8 >= 2x faster single-text p50 with <= 1 point accuracy loss; the 3-layer student >= 1.8x faster with <= 2
points loss. Nothing is asserted: the table says met / missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
DATA = ROOT.parent / "shared" / "data" / "sst2"
TARGETS = {"int8": (2.0, 1.0), "distil": (1.8, 2.0)}  # (speed-up at least, accuracy points lost at most)


def parent_run(args: argparse.Namespace, work: Path) -> Path:
    import pandas as pd

    from core import job
    from core.config import DataSettings, RunConfig, TrainSettings

    if args.parent:
        return Path(args.parent)
    train = pd.read_csv(DATA / "train.csv")
    if args.rows:
        train = train.sample(n=min(args.rows, len(train)), random_state=0)
    train.to_csv(work / "train.csv", index=False)
    config = RunConfig(data=DataSettings(train_file=str(work / "train.csv"), val_file=str(DATA / "dev.csv"),
                                         text_column="sentence", label_column="label"),
                       train=TrainSettings(epochs=args.epochs))
    folder = job.create_run(config, root=work / "runs")
    started = time.perf_counter()
    summary = job.run_training(folder)
    print(f"parent {folder.name}: {summary['state']} in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def compressed(parent: Path, method: str, layers: int, epochs: str = "auto") -> tuple[Path, float]:
    from core import job
    from core.compress import compress_run

    started = time.perf_counter()
    folder = compress_run(parent, method, layers=layers, epochs=epochs)
    if method == "distil":
        summary = job.run_training(folder)
        if summary["state"] != "finished":
            raise SystemExit(f"the student run ended {summary['state']}: see {folder}/train.log")
    return folder, time.perf_counter() - started


def test_accuracy(run_dir: Path) -> float:
    from core.inference.evaluate import evaluate_run

    return float(evaluate_run(run_dir, DATA / "test.csv").report()["accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--epochs", default="auto")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--student-epochs", default="auto", help="the distilled student's length (auto or a number)")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--parent")
    parser.add_argument("--work")
    parser.add_argument("--methods", nargs="+", default=["int8", "distil"], choices=["int8", "distil"])
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is missing: the benchmark needs the shared SST-2 data.")
    from bench.bench_train import cpu_features
    from core.compress import compressed_from, side_by_side

    print("cpu:", json.dumps(cpu_features()), flush=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-compress-"))
    work.mkdir(parents=True, exist_ok=True)
    parent = parent_run(args, work)
    results = {}
    for method in args.methods:
        folder, seconds = compressed(parent, method, args.layers, args.student_epochs)
        measured = side_by_side(folder, again=True, samples=args.samples)
        measured["seconds"] = seconds
        measured["engine"] = (compressed_from(folder) or {}).get("engine")
        measured["test"] = [test_accuracy(parent), test_accuracy(folder)]
        results[method] = measured
        print(json.dumps(measured), flush=True)
    show(results)


def show(results: dict[str, Any]) -> None:
    print("\n| | dev acc | test acc | p50 ms | speed-up | texts/s | size MB | layers | target | |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for method, m in results.items():
        base, child = m["rows"]
        if method == next(iter(results)):
            print(f"| parent {base['run']} | {base['accuracy']:.4f} | {m['test'][0]:.4f} | {base['p50_ms']} | 1.00x | "
                  f"{base['texts_per_second']} | {base['size_mb']} | {base['layers']} | | |")
        speed, loss = TARGETS[method]
        dev_change, test_change = m["accuracy_change"], (m["test"][1] - m["test"][0]) * 100
        met = m["speedup"] >= speed and -dev_change <= loss and -test_change <= loss
        engine = f", {m['engine']}" if m.get("engine") else ""
        print(f"| {method}{engine} ({m['seconds']:.0f} s) | {child['accuracy']:.4f} ({dev_change:+.1f}) | {m['test'][1]:.4f} "
              f"({test_change:+.1f}) | {child['p50_ms']} | {m['speedup']:.2f}x | {child['texts_per_second']} | "
              f"{child['size_mb']} | {child['layers']} | >= {speed}x, <= {loss} pt | {'met' if met else 'missed'} |")


if __name__ == "__main__":
    main()
