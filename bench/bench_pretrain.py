"""Does domain-adaptive pre-training help? Fine-tuning accuracy on SST-2 dev with and without it.

    .venv/bin/python bench/bench_pretrain.py [--labelled 500] [--seeds 2] [--texts 3000] [--pretrain-epochs 1]

For each seed, two runs of the default model (MiniLM-L6) fine-tune on the same ``--labelled`` rows drawn
from ``../shared/data/sst2/train.csv`` (15% of them held out to pick the best checkpoint), with the same
settings and seed:
  without   plain fine-tuning (the baseline);
  with      a masked-LM pre-training stage first (``--pretrain file``) on ``--texts`` unlabelled texts drawn
            from SST-2 train and SST-5 train (deduplicated; no dev or test text), then the same fine-tuning.
The stage runs once, in the first seed's run; later seeds' runs start from a copy of its ``pretrain/``
folder (a run whose stage finished never redoes it), so only fine-tuning differs between seeds: on two
shared CPU cores one stage over all 8.5k texts took about 20 minutes. Both models are then scored on all
of SST-2 dev (872 sentences). It prints every seed's accuracy and
macro F1, the means and the difference, and the pre-training stage's held-out perplexity before and
after, whatever they show; tests never assert on these numbers. It skips when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def unlabelled_texts(folder: Path, count: int) -> Path:
    """``count`` of the SST-2 train sentences and SST-5 train texts (deduplicated, seeded draw), one per line."""
    import random

    import pandas as pd

    texts = list(pd.read_csv(SHARED / "sst2" / "train.csv")["sentence"]) + list(
        pd.read_csv(SHARED / "sst5" / "train.csv")["text"])
    unique = list(dict.fromkeys(" ".join(str(t).split()) for t in texts if str(t).strip()))
    print(f"unique unlabelled train texts: {len(unique)}; drawn: {min(count, len(unique))}", flush=True)
    path = folder / "sst_unlabelled.txt"
    path.write_text("\n".join(random.Random(0).sample(unique, min(count, len(unique)))) + "\n", encoding="utf-8")
    return path


def labelled_subset(folder: Path, rows: int, seed: int) -> Path:
    import pandas as pd

    frame = pd.read_csv(SHARED / "sst2" / "train.csv").sample(n=rows, random_state=seed)
    path = folder / f"sst2_{rows}_seed{seed}.csv"
    frame.to_csv(path, index=False)
    return path


def one_run(folder: Path, data: Path, seed: int, args: argparse.Namespace, pretrain: Path | None,
            stage_from: Path | None = None) -> dict:
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.inference.evaluate import evaluate_run
    from core.job import create_run, run_training
    from core.runs import load_config

    train = TrainSettings(epochs=args.epochs, seed=seed, pretrain="file" if pretrain else "off",
                          pretrain_file=str(pretrain) if pretrain else None, pretrain_epochs=args.pretrain_epochs,
                          pretrain_learning_rate=args.pretrain_lr, batch_size=32)
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.15), train=train, model="default")
    run_dir = create_run(config, run_dir=folder / f"{'with' if pretrain else 'without'}-{seed}")
    if stage_from is not None:
        import shutil

        shutil.copytree(stage_from / "pretrain" / "model", run_dir / "pretrain" / "model")
    start = time.perf_counter()
    run_training(run_dir)
    seconds = time.perf_counter() - start
    report = evaluate_run(run_dir, SHARED / "sst2" / "dev.csv").report()
    return {"accuracy": report["accuracy"], "f1_macro": report["f1_macro"], "seconds": seconds,
            "pretrain": load_config(run_dir).resolved.get("pretrain"), "run_dir": run_dir}


def first_perplexity(run_dir: Path) -> float | None:
    from core.runs import read_events

    evals = [e for e in read_events(run_dir) if e.get("stage") == "pretrain" and e.get("event") == "eval"]
    return evals[0]["perplexity"] if evals else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=int, default=500)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--pretrain-epochs", type=float, default=1.0)
    parser.add_argument("--pretrain-lr", type=float, default=1e-4)
    args = parser.parse_args()
    if not (SHARED / "sst2" / "train.csv").exists() or not (SHARED / "sst5" / "train.csv").exists():
        print(f"skipped: {SHARED}/sst2 and sst5 are not present")
        return
    results: dict[str, list[dict]] = {"without": [], "with": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts = unlabelled_texts(folder, args.texts)
        print(f"labelled rows: {args.labelled} (15% for checkpoint choice), {args.epochs:g} epochs; pre-training: "
              f"{args.pretrain_epochs:g} epoch(s) at learning rate {args.pretrain_lr:g}; dev: SST-2 dev; "
              f"seeds: {args.seeds}", flush=True)
        for seed in range(args.seeds):
            data = labelled_subset(folder, args.labelled, seed)
            for arm, pretrain in (("without", None), ("with", texts)):
                stage_from = results["with"][0]["run_dir"] if arm == "with" and results["with"] else None
                result = one_run(folder, data, seed, args, pretrain, stage_from)
                results[arm].append(result)
                extra = ""
                if stage_from is not None:
                    extra = f" | pre-trained model copied from {stage_from.name}"
                elif result["pretrain"]:
                    p = result["pretrain"]
                    extra = (f" | pre-training: {p['blocks']} blocks, {p['steps']} steps, held-out perplexity "
                             f"{first_perplexity(result['run_dir']):.1f} at its first evaluation -> {p['perplexity']:.1f}")
                print(f"seed {seed} {arm:>7}: dev accuracy {result['accuracy']:.4f} macro F1 {result['f1_macro']:.4f} "
                      f"({result['seconds']:.0f} s){extra}", flush=True)
    for key in ("accuracy", "f1_macro"):
        without = statistics.mean(r[key] for r in results["without"])
        with_ = statistics.mean(r[key] for r in results["with"])
        print(f"mean dev {key}: without {without:.4f}, with pre-training {with_:.4f}, difference {with_ - without:+.4f}")


if __name__ == "__main__":
    main()
