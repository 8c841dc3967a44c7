"""Suspect labels against label noise: are flipped labels found, and does dropping the suspects help?

    .venv/bin/python bench/bench_noise.py [--data ../shared/data/sst2] [--rows 3000] [--seeds 0 1]

Per seed, on a seeded sample of SST-2 train (``--rows``) with ``--noise`` (5%) of the labels flipped at
random (seeded), with the default model and its defaults (1 epoch) at ``--max-length 64``, validated and
scored on SST-2 dev (872 rows, the same validation file for every run):
  recall@N   share of the flipped rows among the N most suspect rows (N = number of flips), for each
             probability source (``core.labels.scores.SOURCES``: the final model's pass over the rows,
             the training dynamics, their mean), against random flagging (N random rows, seeded:
             expected 5%) measured in the same run;
  accuracy   dev accuracy of the model trained on the clean sample, on the noisy sample, on the noisy
             sample without its top-N suspects (``core.labels.retrain``: same settings, same validation
             rows) and without N random rows; "recovers half" = cleaned - noisy >= 0.5 * (clean - noisy).
Every model is a real TuneScope run (``core.job.create_run`` + ``core.job.run_training``). It
prints what it measured; nothing is asserted.
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


def noisy_sample(data: Path, rows: int, noise: float, seed: int, folder: Path) -> tuple[Path, Path, Any]:
    """clean.csv and noisy.csv (the same rows, ``noise`` of the labels flipped) and the flipped mask."""
    import numpy as np
    import pandas as pd

    train = pd.read_csv(data / "train.csv")
    sample = train.sample(n=min(rows, len(train)), random_state=seed).reset_index(drop=True)
    labels = sorted(sample["label"].unique())
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(sample), dtype=bool)
    flipped[rng.choice(len(sample), size=round(noise * len(sample)), replace=False)] = True
    noisy = sample.copy()
    for i in np.flatnonzero(flipped):  # another label, chosen at random (binary: the other one)
        noisy.at[i, "label"] = rng.choice([x for x in labels if x != sample.at[i, "label"]])
    clean_file, noisy_file = folder / f"clean-{seed}.csv", folder / f"noisy-{seed}.csv"
    sample.to_csv(clean_file, index=False)
    noisy.to_csv(noisy_file, index=False)
    return clean_file, noisy_file, flipped


def train(data_file: Path, dev: Path, root: Path, args: argparse.Namespace, seed: int) -> Path:
    """A TuneScope run on ``data_file`` with the defaults (1 epoch), validated on ``dev``; its folder."""
    from core import job
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.job import run_training

    config = RunConfig(data=DataSettings(train_file=str(data_file), val_file=str(dev)),
                       train=TrainSettings(max_length=args.max_length, seed=seed))
    folder = job.create_run(config, root=root)
    run_training(folder)
    return folder


def accuracy(folder: Path) -> float:
    from core import runs

    return float(runs.read_json(runs.RunPaths(folder).metrics)["accuracy"])


def retrained(parent: Path, drop: list[int], root: Path) -> Path:
    """The parent run retrained without ``drop`` (``core.labels.retrain``, trained in this process)."""
    from core.job import run_training
    from core.labels import retrain

    folder = root / retrain(parent, drop, {}, runs_root=root, start=False)
    run_training(folder)
    return folder


def one_seed(seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import numpy as np

    from core.labels import find_suspects
    from core.labels.scores import SOURCES

    clean_file, noisy_file, flipped = noisy_sample(args.data, args.rows, args.noise, seed, work)
    n, dev = int(flipped.sum()), args.data / "dev.csv"
    started = time.time()
    noisy_run = train(noisy_file, dev, work / "runs", args, seed)
    has_dynamics = (noisy_run / "dynamics.npz").is_file()
    recall, lists = {}, {}
    for source in SOURCES if has_dynamics else ("final",):
        table = find_suspects(noisy_run, source=source)
        lists[source] = table["row"].to_numpy()[:n]
        recall[source] = float(flipped[lists[source]].mean())
    random_rows = np.random.default_rng(seed + 1000).choice(len(flipped), size=n, replace=False)
    recall["random"] = float(flipped[random_rows].mean())
    print(f"seed {seed}: recall@{n} {json.dumps(recall)}", file=sys.stderr, flush=True)
    result = {"seed": seed, "rows": len(flipped), "flipped": n, "recall_at_n": recall, "dynamics": has_dynamics}
    if not args.skip_retrain:
        from core.labels.suspects import SOURCE

        runs_ = {"noisy": noisy_run, "clean": train(clean_file, dev, work / "runs", args, seed),
                 "cleaned": retrained(noisy_run, lists[SOURCE].tolist(), work / "runs"),
                 "random_drop": retrained(noisy_run, random_rows.tolist(), work / "runs")}
        acc = {name: accuracy(folder) for name, folder in runs_.items()}
        lost, regained = acc["clean"] - acc["noisy"], acc["cleaned"] - acc["noisy"]
        result.update(accuracy=acc, recovered_share=regained / lost if lost > 0 else None,
                      recovers_half=bool(lost > 0 and regained >= 0.5 * lost))
    result["seconds"] = round(time.time() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sst2")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--skip-retrain", action="store_true", help="only the recall of the suspect lists")
    parser.add_argument("--work", type=Path, help="keep the data and runs here (default: a temporary folder)")
    args = parser.parse_args()
    if not (args.data / "train.csv").is_file():
        raise SystemExit(f"no {args.data / 'train.csv'}: give --data the SST-2 folder (sentence,label CSVs)")
    with tempfile.TemporaryDirectory(prefix="bench-noise-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        results = [one_seed(seed, args, work) for seed in args.seeds]
    print(json.dumps({"data": str(args.data), "rows": args.rows, "noise": args.noise, "max_length": args.max_length,
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
