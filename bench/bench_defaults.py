"""One click against a small sweep and against the old one-epoch default: accuracy, macro F1, time, calibration.

    .venv/bin/python bench/bench_defaults.py [--data ../shared/data] [--sets sst2,sst5,goemotions,many]
        [--rows 4000] [--eval-rows 1000] [--trials 6] [--model default] [--seed 0]

For each set it trains, in this process, on ``--rows`` seeded training rows (validation: ``--eval-rows`` rows of
``dev.csv``, given as the run's validation file) and scores every model on ``--eval-rows`` rows of ``test.csv``:
  auto     one click: every setting at its default (``epochs auto``, calibration on);
  1-epoch  the old one-click default: ``epochs 1``, no calibration;
  sweep    the best of ``--trials`` trials of the existing Optuna search (``core.sweep``, its default space:
           learning rate, epochs 1-4, batch size, warm-up, dropout), each trial with the auto run's wall time
           (rounded up to whole minutes) as its time budget; the best trial by validation macro F1.
Sets: ``sst2``, ``sst5``, ``goemotions`` (multi-label, Ekman) and ``many``: a many-class single-label set built
from the shared data (every GoEmotions label combination with enough rows as one class, plus the five SST-5
classes, prefixed ``sst5:``), with few rows per class.
It prints per set and method: test accuracy (multi-label: subset accuracy), test macro F1, wall seconds, and
the test ECE of the saved model's probabilities before and after the temperature (before = the raw model,
recovered by undoing the recorded temperature); then the ratios the issue targets: one click within 1 point
of the sweep's best, in at most 3x the one-epoch wall time, ECE <= 0.05 after calibration.
"""

from __future__ import annotations

import argparse
import json
import math
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

SETS = {"sst2": ("sentence", "label"), "sst5": ("text", "sentiment"), "goemotions": ("text", "emotions")}
FOLDERS = {"sst2": "sst2", "sst5": "sst5", "goemotions": "goemotions_ekman"}
MANY_MIN_ROWS = 30  # a label combination becomes a class of the many-class set from this many rows (all splits)


def read(data: Path, name: str, split: str) -> Any:
    import pandas as pd

    if name == "many":
        return many_class(data, split)
    text, label = SETS[name]
    frame = pd.read_csv(data / FOLDERS[name] / f"{split}.csv")
    return frame[[text, label]].rename(columns={text: "text", label: "label"})


def many_class(data: Path, split: str) -> Any:
    """GoEmotions label sets (``joy;surprise`` -> class ``joy+surprise``) with enough rows, plus SST-5 (``sst5:``)."""
    import pandas as pd

    emotions = read(data, "goemotions", split)
    emotions["label"] = emotions["label"].astype(str).map(lambda v: "+".join(sorted(v.split(";"))))
    common = {k for k, n in read_counts(data).items() if n >= MANY_MIN_ROWS}
    emotions = emotions[emotions["label"].isin(common)]
    sst5 = read(data, "sst5", split)
    sst5["label"] = "sst5:" + sst5["label"].astype(str)
    return pd.concat([emotions, sst5], ignore_index=True)


def read_counts(data: Path) -> dict[str, int]:
    import pandas as pd

    frame = pd.read_csv(data / FOLDERS["goemotions"] / "train.csv")
    return frame["emotions"].astype(str).map(lambda v: "+".join(sorted(v.split(";")))).value_counts().to_dict()


def write(frame: Any, rows: int, seed: int, path: Path) -> Path:
    frame.sample(min(rows, len(frame)), random_state=seed).to_csv(path, index=False)
    return path


def config_for(train: Path, dev: Path, model: str, **settings: Any) -> Any:
    from core.config import DataSettings, RunConfig, TrainSettings

    data = DataSettings(train_file=str(train), val_file=str(dev), text_column="text", label_column="label")
    return RunConfig(data=data, model=model, train=TrainSettings(**settings))


def score(run_dir: Path, test: Path) -> dict[str, Any]:
    """Test scores of the saved model, and its test ECE with and without the recorded temperature."""
    import numpy as np

    from core import runs
    from core.inference.evaluate import evaluate_run
    from core.job.calibrate import calibration_error

    evaluation = evaluate_run(run_dir, test)
    report = evaluation.report()
    t = runs.load_config(run_dir).resolved.get("temperature") or 1.0
    p = np.clip(np.asarray(evaluation.probabilities, dtype=float), 1e-12, 1 - 1e-12)
    multi = np.asarray(evaluation.true).ndim == 2
    logits = np.log(p / (1 - p)) if multi else np.log(p)  # calibrated logits, up to a constant per row
    raw = calibration_error(logits, evaluation.true, 1.0 / np.asarray(t, dtype=float))[0]
    after = calibration_error(logits, evaluation.true)[0]
    return {"accuracy": report["accuracy"], "f1_macro": report["f1_macro"], "ece_before": raw, "ece_after": after,
            "temperature": t}


def train(config: Any, folder: Path) -> tuple[Path, float]:
    from core import job

    run_dir = job.create_run(config, run_dir=folder)
    started = time.perf_counter()
    job.run_training(run_dir)
    return run_dir, time.perf_counter() - started


def sweep(config: Any, folder: Path, trials: int, minutes: int) -> tuple[Path | None, float]:
    """The best trial's run folder of a ``trials``-trial search in ``folder``, and the search's wall time."""
    from core.sweep.driver import prepare_sweep, run_sweep

    config.train.time_budget = minutes
    started = time.perf_counter()
    spec = prepare_sweep(config, trials=trials, root=folder)
    status = run_sweep(spec, trials=trials)
    best = status.get("best") or {}
    return (folder / best["run_id"] if best.get("run_id") else None), time.perf_counter() - started


def one_set(args: argparse.Namespace, name: str, work: Path) -> dict[str, dict[str, Any]]:
    data = Path(args.data)
    train_file = write(read(data, name, "train"), args.rows, args.seed, work / f"{name}-train.csv")
    dev = write(read(data, name, "dev"), args.eval_rows, args.seed, work / f"{name}-dev.csv")
    test = write(read(data, name, "test"), args.eval_rows, args.seed, work / f"{name}-test.csv")
    results: dict[str, dict[str, Any]] = {}
    run, seconds = train(config_for(train_file, dev, args.model, seed=args.seed), work / f"{name}-auto")
    results["auto"] = {**score(run, test), "seconds": seconds, "plan": _plan(run)}
    run, seconds = train(config_for(train_file, dev, args.model, seed=args.seed, epochs=1.0, calibrate=False),
                         work / f"{name}-1epoch")
    results["1-epoch"] = {**score(run, test), "seconds": seconds}
    if args.trials:
        minutes = max(1, math.ceil(results["auto"]["seconds"] / 60))
        best, seconds = sweep(config_for(train_file, dev, args.model, seed=args.seed), work / f"{name}-sweep",
                              args.trials, minutes)
        if best is not None:
            results["sweep"] = {**score(best, test), "seconds": seconds, "trial_budget_minutes": minutes}
    return results


def _plan(run_dir: Path) -> str | None:
    from core import runs

    return runs.load_config(run_dir).resolved.get("length_plan")


def show(name: str, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n## {name}" + (f"\nplan: {results['auto']['plan']}" if results["auto"].get("plan") else ""))
    print(f"{'method':8} {'accuracy':>8} {'macro F1':>8} {'wall s':>8} {'ECE raw':>8} {'ECE cal':>8}")
    for method, r in results.items():
        print(f"{method:8} {r['accuracy']:8.4f} {r['f1_macro']:8.4f} {r['seconds']:8.1f} {r['ece_before']:8.4f} "
              f"{r['ece_after']:8.4f}")
    auto, one = results["auto"], results["1-epoch"]
    line = f"auto/1-epoch wall {auto['seconds'] / one['seconds']:.2f}x (target <= 3x)"
    if "sweep" in results:
        gap = 100 * (results["sweep"]["f1_macro"] - auto["f1_macro"])
        line += f"; sweep best - auto macro F1 {gap:+.1f} points (target <= 1)"
    print(line + f"; auto test ECE after calibration {auto['ece_after']:.4f} (target <= 0.05)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sets", default="sst2,sst5,goemotions,many")
    parser.add_argument("--rows", type=int, default=4000, help="training rows per set (seeded sample)")
    parser.add_argument("--eval-rows", type=int, default=1000, help="validation and test rows per set")
    parser.add_argument("--trials", type=int, default=6, help="sweep trials (0: no sweep)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    print(f"# {args.rows} training rows, {args.eval_rows} validation and test rows per set, sweep {args.trials} "
          f"trials, model {args.model}, seed {args.seed}", flush=True)
    everything = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUNESCOPE_RUNS"] = str(Path(tmp) / "runs")  # never the user's runs folder
        for name in args.sets.split(","):
            work = Path(tmp) / name
            work.mkdir()
            everything[name] = one_set(args, name, work)
            show(name, everything[name])
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
