"""Multi-label benchmark: a TuneScope run against a one-vs-rest TF-IDF logistic regression, measured in the same run.

    .venv/bin/python bench/bench_multilabel.py [--data ../shared/data/goemotions_ekman] [--train-rows 8000]
                                               [--dev-rows 0] [--test-rows 0] [--epochs 1] [--json OUT]

On GoEmotions (Ekman labels: Reddit comments with one or more of anger, disgust, fear, joy, neutral,
sadness, surprise, joined by ``;``) it trains
  ours      the default model (MiniLM-L6) through the run API (``core.job.create_run`` +
            ``core.job.run_training``) on a seeded sample of the train split, with the dev split as
            its validation set: the run tunes one decision threshold per label on dev and stores it with the
            model; the test split is then scored with ``core.inference.evaluate.evaluate_run``;
  baseline  scikit-learn TF-IDF (word 1-2 grams) + one-vs-rest logistic regression on the same rows, with its
            per-label thresholds tuned on the same dev rows by the same function
            (``core.training.metrics.tune_thresholds``), scored on the same test rows by the same function
            (``core.inference.labelsets.multilabel_scores``);
and prints micro/macro F1, subset accuracy and per-label F1 of both with the ratios ours/baseline.
Row counts of 0 mean the whole split.
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


def sample_split(folder: Path, name: str, rows: int, out: Path) -> Path:
    """A seeded sample of ``rows`` rows of ``folder/name.csv`` (all when 0) written to ``out``."""
    import pandas as pd

    frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    if rows and rows < len(frame):
        frame = frame.sample(n=rows, random_state=0).reset_index(drop=True)
    frame.to_csv(out, index=False)
    return out


def run_ours(train: Path, dev: Path, test: Path, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Train the default model on ``train`` (validation: ``dev``) and score the test rows with the run's model."""
    from core import job, runs
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.inference.evaluate import evaluate_run
    from core.job import run_training

    config = RunConfig(data=DataSettings(train_file=str(train), val_file=str(dev), multi_label="yes"),
                       train=TrainSettings(epochs=args.epochs))
    run_dir = job.create_run(config, run_dir=work / "ours")
    started = time.perf_counter()
    summary = run_training(run_dir)
    seconds = time.perf_counter() - started
    if summary.get("state") != "finished":
        raise SystemExit(f"the run ended {summary.get('state')}: {summary.get('message')}")
    evaluation = evaluate_run(run_dir, test)
    return {"report": evaluation.report(), "thresholds": dict(zip(evaluation.labels, evaluation.thresholds, strict=True)),
            "train_seconds": seconds, "dev": json.loads((run_dir / "metrics.json").read_text()),
            "resolved": runs.load_config(run_dir).resolved}


def label_rows(path: Path, labels: list[str] | None = None) -> tuple[list[str], Any, list[str]]:
    """Texts, the boolean label matrix and the labels of a multi-label file, read as core.data reads it."""
    from core.data import TEXT, Columns, load_labelled
    from core.inference.labelsets import label_matrix

    data = load_labelled(path, Columns("text", "emotions", multi_label="yes"))
    labels = labels or data.labels
    return data.frame[TEXT].tolist(), label_matrix(data.frame["label"], labels, path.name), labels


def run_baseline(train: Path, dev: Path, test: Path, labels: list[str]) -> dict[str, Any]:
    """TF-IDF + one-vs-rest logistic regression; thresholds tuned on dev as the run tunes its own."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from core.inference.labelsets import choose, multilabel_scores
    from core.training.metrics import tune_thresholds

    (train_texts, train_true, _), (dev_texts, dev_true, _), (test_texts, test_true, _) = (
        label_rows(path, labels) for path in (train, dev, test))
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = OneVsRestClassifier(LogisticRegression(max_iter=2000, C=4.0))
    model.fit(vectorizer.fit_transform(train_texts), train_true.astype(int))
    seconds = time.perf_counter() - started
    thresholds = tune_thresholds(dev_true, model.predict_proba(vectorizer.transform(dev_texts)))
    probabilities = model.predict_proba(vectorizer.transform(test_texts))
    report = multilabel_scores(test_true, choose(probabilities, thresholds), labels, thresholds)
    return {"report": report, "thresholds": dict(zip(labels, map(float, thresholds), strict=True)),
            "train_seconds": seconds}


def table(ours: dict[str, Any], baseline: dict[str, Any]) -> str:
    """Rows of headline scores and per-label F1 with the ratio ours / baseline."""
    a, b = ours["report"], baseline["report"]
    lines = [f"{'':34} {'ours':>8} {'baseline':>9} {'ratio':>7}"]

    def row(name: str, x: float, y: float) -> None:
        lines.append(f"{name:34} {x:8.4f} {y:9.4f} {x / y if y else float('nan'):7.2f}")

    for key in ("f1_micro", "f1_macro", "subset_accuracy"):
        row(key, a[key], b[key])
    lines.append(f"{'hamming_loss (lower is better)':34} {a['hamming_loss']:8.4f} {b['hamming_loss']:9.4f}")
    lines.append("per-label F1 (support; thresholds ours / baseline)")
    for label in a["labels"]:
        x, y = a["per_label"][label], b["per_label"][label]
        row(f"  {label} ({x['support']}; {x['threshold']:.2f}/{y['threshold']:.2f})", x["f1"], y["f1"])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "goemotions_ekman")
    parser.add_argument("--train-rows", type=int, default=8000)
    parser.add_argument("--dev-rows", type=int, default=0)
    parser.add_argument("--test-rows", type=int, default=0)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not (args.data / "train.csv").exists():
        print(f"no data at {args.data}: give --data FOLDER with train.csv, dev.csv and test.csv", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-multilabel-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("TUNESCOPE_CACHE", str(work / "cache"))
        train, dev, test = (sample_split(args.data, name, rows, work / f"{name}.csv")
                            for name, rows in (("train", args.train_rows), ("dev", args.dev_rows),
                                               ("test", args.test_rows)))
        ours = run_ours(train, dev, test, args, work)
        baseline = run_baseline(train, dev, test, ours["report"]["labels"])
    rows = {name: sum(1 for _ in open(path, encoding="utf-8")) - 1 for name, path in  # noqa: SIM115
            (("train", args.data / "train.csv"), ("dev", args.data / "dev.csv"), ("test", args.data / "test.csv"))}
    print(f"GoEmotions (Ekman) multi-label: train {args.train_rows or rows['train']} of {rows['train']} rows, "
          f"dev {args.dev_rows or rows['dev']} (thresholds), test {ours['report']['samples']} (scores); "
          f"ours: default model, {args.epochs:g} epoch, {ours['resolved'].get('device')}/"
          f"{ours['resolved'].get('precision')}, trained in {ours['train_seconds']:.0f} s; baseline fitted in "
          f"{baseline['train_seconds']:.0f} s")
    print(table(ours, baseline))
    if args.json:
        args.json.write_text(json.dumps({"ours": ours, "baseline": baseline}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
