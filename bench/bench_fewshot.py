"""Few-shot benchmark: the setfit recipe against full fine-tuning with 8, 16 and 32 labelled rows per class.

    .venv/bin/python bench/bench_fewshot.py [--data ../shared/data] [--sets sst2,sst5] [--sizes 8,16,32]
        [--seeds 3] [--first-seed 0] [--dev-rows 400] [--pairs 10] [--epochs 10]

For each data set, size and seed it samples that many rows per class from ``train.csv`` (seeded), and
trains two TuneScope runs in this process with the default model, both scored on the same seeded subset
of ``dev.csv`` (given as the run's validation file, so ``metrics.json`` is the dev score of the saved
``model/``, the model that predict and evaluate load):
  setfit    ``--recipe setfit`` with its defaults (one epoch, batch 32, learning rate 2e-5), ``--pairs``,
  finetune  the default recipe with settings for tiny data: ``--epochs`` epochs, batch 16, evaluated once
            at the end (no checkpoint picked on the dev rows).
It prints one row per data set and size: mean (and spread) dev accuracy of each recipe over the seeds,
SetFit's own mean-pooled prediction (``setfit_mean_pooling_val_accuracy``) for comparison, and wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

COLUMNS = {"sst2": ("sentence", "label"), "sst5": ("text", "sentiment")}


def sample(data: Path, name: str, per_class: int, seed: int, folder: Path) -> Path:
    import pandas as pd

    text, label = COLUMNS[name]
    frame = pd.read_csv(data / name / "train.csv")
    rows = frame.groupby(label, group_keys=False).sample(per_class, random_state=seed)
    path = folder / f"{name}-{per_class}-{seed}.csv"
    rows[[text, label]].to_csv(path, index=False)
    return path


def dev_subset(data: Path, name: str, rows: int, folder: Path) -> Path:
    import pandas as pd

    frame = pd.read_csv(data / name / "dev.csv")
    path = folder / f"{name}-dev.csv"
    frame.sample(min(rows, len(frame)), random_state=0).to_csv(path, index=False)
    return path


def train_one(train_file: Path, dev_file: Path, folder: Path, settings: dict[str, Any]) -> dict[str, Any]:
    from core import job, runs
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.job import run_training

    config = RunConfig(data=DataSettings(train_file=str(train_file), val_file=str(dev_file)),
                       train=TrainSettings(**settings))
    run_dir = job.create_run(config, run_dir=folder)
    started = time.perf_counter()
    summary = run_training(run_dir)
    resolved = runs.load_config(run_dir).resolved
    return {"accuracy": summary["metrics"]["accuracy"], "seconds": time.perf_counter() - started,
            "setfit_own": resolved.get("setfit_mean_pooling_val_accuracy")}


def recipes(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    return {
        "setfit": {"recipe": "setfit", "fewshot_pairs": args.pairs, "seed": 0},  # batch 32, one epoch, lr 2e-5
        "finetune": {"epochs": args.epochs, "batch_size": 16, "eval_steps": 10**6, "seed": 0},
    }


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    mean = statistics.mean(values)
    return f"{mean:.3f}" + (f" ±{statistics.stdev(values):.3f}" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sets", default="sst2,sst5")
    parser.add_argument("--sizes", default="8,16,32")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed .. first-seed+seeds-1")
    parser.add_argument("--dev-rows", type=int, default=400)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--epochs", type=float, default=10)
    args = parser.parse_args()
    data = Path(args.data)
    print(f"# dev subset {args.dev_rows} rows per set, seeds {args.first_seed}..{args.first_seed + args.seeds - 1}, "
          f"setfit pairs {args.pairs}, "
          f"finetune epochs {args.epochs:g}", flush=True)
    print("set   per-class  setfit (run folder)  setfit own (mean-pooled)  finetune         setfit s  finetune s",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.sets.split(","):
            dev = dev_subset(data, name, args.dev_rows, folder)
            for size in (int(s) for s in args.sizes.split(",")):
                results: dict[str, list[dict[str, Any]]] = {"setfit": [], "finetune": []}
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    train_file = sample(data, name, size, seed, folder)
                    for recipe, settings in recipes(args).items():
                        run = folder / f"{name}-{size}-{seed}-{recipe}"
                        results[recipe].append(train_one(train_file, dev, run, {**settings, "seed": seed}))
                acc = {r: [x["accuracy"] for x in results[r]] for r in results}
                own = [x["setfit_own"] for x in results["setfit"]]
                secs = {r: statistics.mean(x["seconds"] for x in results[r]) for r in results}
                print(f"{name:5} {size:9}  {spread(acc['setfit']):19}  {spread(own):24}  {spread(acc['finetune']):15}"
                      f"  {secs['setfit']:8.0f}  {secs['finetune']:10.0f}", flush=True)


if __name__ == "__main__":
    main()
