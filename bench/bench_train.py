"""Training throughput benchmark: TuneScope's engine against two baselines measured in the same run.

    .venv/bin/python bench/bench_train.py [--data ../shared/data/sst2] [--limit N] [--only ours,a,b]

On SST-2 with the default MiniLM, batch 32, max_length 128, one epoch, it reports samples/s for
  ours  TuneScope ``run_training`` end to end (its evaluations and checkpoints included),
  (a)   the tutorial recipe: every batch padded to max_length, fp32, a plain PyTorch loop
        (every batch has the same shape, so a fixed number of timed steps measures it exactly),
  (b)   Hugging Face ``Trainer`` with dynamic padding, group_by_length sampling and bf16,
the ratios ours/(a) and ours/(b), the model FLOPs utilisation (MFU) against a bf16 matrix multiply
timed in this process, and dev accuracy. FLOPs = 6 * non-embedding params * real tokens + attention
(12 * layers * hidden * T^2 per sequence for forward + backward), T = non-pad tokens of the sequence.
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


SHAPES = ((512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (1024, 384, 1536), (1024, 1536, 384),
          (1024, 384, 384))


def peak_bf16_flops(repeats: int = 10) -> float:
    """Best observed FLOP/s of a bf16 matmul on this CPU (the MFU denominator).

    Square sizes and MiniLM's own GEMM shapes (1,024 tokens x 384 x 1,536): on this CPU mid-sized
    bf16 matmuls run ~3x faster than 2,048-square ones, so the maximum over all is the honest peak.
    """
    import torch

    best_rate = 0.0
    for m, k, n in SHAPES:
        a, b = torch.randn(m, k, dtype=torch.bfloat16), torch.randn(k, n, dtype=torch.bfloat16)
        a @ b
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t0)
        best_rate = max(best_rate, 2 * m * k * n / best)
    return best_rate


def model_flops(model: Any, lengths: list[int]) -> float:
    """Training FLOPs for sequences of the given real lengths (6*N*tokens + attention scores/values)."""
    embed = {id(p) for m in model.modules() if type(m).__name__ == "Embedding" for p in m.parameters()}
    params = sum(p.numel() for p in model.parameters() if id(p) not in embed)
    cfg = model.config
    layers, hidden = cfg.num_hidden_layers, cfg.hidden_size
    return 6.0 * params * sum(lengths) + 12.0 * layers * hidden * sum(t * t for t in lengths)


def load_split(folder: Path, name: str, limit: int | None) -> Any:
    import pandas as pd

    frame = pd.read_csv(folder / f"{name}.csv")
    return frame.sample(n=limit, random_state=0).reset_index(drop=True) if limit and limit < len(frame) else frame


def run_ours(train_csv: Path, dev_csv: Path, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from core import runs
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.training.run import run_training

    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, max_length=args.max_length)
    if args.learning_rate:
        settings.learning_rate = args.learning_rate
    config = RunConfig(data=DataSettings(train_file=str(train_csv), val_file=str(dev_csv)), train=settings)
    run_dir = runs.create_run(config, run_dir=work / "ours")
    summary = run_training(run_dir)
    events = runs.read_events(run_dir)
    steps = [e for e in events if e["event"] == "step"]
    return {"samples_per_second": summary["train_samples_per_second"], "runtime": summary["train_runtime"],
            "accuracy": summary["metrics"]["accuracy"], "steps": summary["global_step"],
            "train_only_samples_per_second": _train_only_rate(steps, events),
            "resolved": runs.load_config(run_dir).resolved}


def _train_only_rate(steps: list[dict[str, Any]], events: list[dict[str, Any]]) -> float | None:
    """Samples/s of the training steps alone (the engine's step events leave out eval and save)."""
    started = next(e for e in events if e["event"] == "started")
    per_step = started["effective_batch_size"]
    seconds = sum((s2["step"] - s1["step"]) * per_step / s2["samples_per_second"]
                  for s1, s2 in zip(steps, steps[1:], strict=False) if s2["samples_per_second"])
    counted = sum(s2["step"] - s1["step"] for s1, s2 in zip(steps, steps[1:], strict=False))
    return counted * per_step / seconds if seconds else None


def _tokenized(frame: Any, tokenizer: Any, max_length: int, pad: bool) -> Any:
    from datasets import Dataset

    dataset = Dataset.from_pandas(frame[["sentence", "label"]].rename(columns={"label": "labels"}))

    def encode(batch: dict[str, list]) -> dict[str, list]:
        return tokenizer(batch["sentence"], truncation=True, max_length=max_length,
                         padding="max_length" if pad else False)

    return dataset.map(encode, batched=True, remove_columns=["sentence"])


def run_trainer_baseline(train: Any, dev: Any, args: argparse.Namespace, work: Path,
                         every: int | None = None) -> dict[str, Any]:
    """(b) Hugging Face Trainer: dynamic padding, group_by_length, bf16, otherwise defaults.

    With ``every`` it also evaluates on dev and saves a checkpoint every that many steps, keeping the
    best model, as TuneScope does: the same work, so the end-to-end ratio compares engines only.
    """
    import numpy as np
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from core.training.metrics import trainer_metrics

    tokenizer, model = _fresh_model()
    train_ds, dev_ds = _tokenized(train, tokenizer, args.max_length, False), _tokenized(dev, tokenizer, 128, False)
    schedule: dict[str, Any] = {"save_strategy": "no", "eval_strategy": "no"}
    if every:
        schedule = {"save_strategy": "steps", "eval_strategy": "steps", "save_steps": every, "eval_steps": every,
                    "save_total_limit": 2, "load_best_model_at_end": True, "metric_for_best_model": "f1_macro"}
    targs = TrainingArguments(output_dir=str(work / f"hf-{every or 0}"), num_train_epochs=args.epochs,
                              per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=64,
                              learning_rate=1e-4, warmup_steps=0.06, train_sampling_strategy="group_by_length",
                              bf16=True, use_cpu=True, report_to="none", disable_tqdm=True, seed=42, **schedule)
    trainer = Trainer(model=model, args=targs, train_dataset=train_ds, eval_dataset=dev_ds if every else None,
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=trainer_metrics if every else None)
    result = trainer.train()
    output = trainer.predict(dev_ds)
    accuracy = float((np.asarray(output.predictions).argmax(-1) == output.label_ids).mean())
    return {"samples_per_second": result.metrics["train_samples_per_second"],
            "runtime": result.metrics["train_runtime"], "accuracy": accuracy}


def run_tutorial_baseline(train: Any, args: argparse.Namespace) -> dict[str, Any]:
    """(a) The tutorial loop: pad to max_length, fp32, AdamW + linear schedule, timed over fixed steps."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import get_scheduler

    tokenizer, model = _fresh_model()
    data = _tokenized(train, tokenizer, args.max_length, True).with_format("torch")
    loader = DataLoader(data, shuffle=True, batch_size=args.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    total = len(loader) * args.epochs
    scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=0, num_training_steps=total)
    model.train()
    timed, warm, t0 = 0, 2, 0.0
    for i, batch in enumerate(loader):
        if i == warm:
            t0 = time.perf_counter()
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        timed += i >= warm
        if args.tutorial_steps and timed >= args.tutorial_steps:
            break
    seconds = time.perf_counter() - t0
    return {"samples_per_second": timed * args.batch_size / seconds, "timed_steps": timed, "runtime": seconds}


def _fresh_model() -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

    from core.models import default_model_path

    set_seed(42)
    path = default_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "sst2"))
    parser.add_argument("--limit", type=int, default=None, help="use only N training rows (quick run)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=None, help="override TuneScope's default")
    parser.add_argument("--tutorial-steps", type=int, default=20, help="timed steps of (a); 0 = a full epoch")
    parser.add_argument("--only", default="ours,a,b,b_eval",
                        help="comma list of ours, a, b, b_eval ((b) with TuneScope's evaluations and checkpoints)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.models import default_model_path

    folder, which = Path(args.data), set(args.only.split(","))
    train, dev = load_split(folder, "train", args.limit), load_split(folder, "dev", None)
    work = Path(tempfile.mkdtemp(prefix="tunescope-bench-"))
    os.environ.setdefault("TUNESCOPE_CACHE", str(work / "cache"))
    train_csv = work / "train.csv"
    train.to_csv(train_csv, index=False)
    tokenizer = AutoTokenizer.from_pretrained(default_model_path())
    lengths = [len(ids) for ids in tokenizer(list(train["sentence"]), truncation=True,
                                             max_length=args.max_length)["input_ids"]]
    flops_epoch = model_flops(AutoModelForSequenceClassification.from_pretrained(default_model_path(),
                                                                                 num_labels=2), lengths)
    peak = peak_bf16_flops()
    results: dict[str, Any] = {"rows": len(train), "threads": torch.get_num_threads(), "peak_bf16_flops": peak,
                               "mean_tokens": sum(lengths) / len(lengths), "flops_per_epoch": flops_epoch}
    print(f"{len(train)} rows, mean {results['mean_tokens']:.1f} tokens, {torch.get_num_threads()} threads, "
          f"bf16 matmul peak {peak / 1e9:.0f} GFLOP/s", flush=True)
    if "a" in which:
        results["a"] = run_tutorial_baseline(train, args)
        print("(a)", results["a"], flush=True)
    if "b" in which:
        results["b"] = run_trainer_baseline(train, dev, args, work)
        print("(b)", results["b"], flush=True)
    if "ours" in which:
        results["ours"] = run_ours(train_csv, folder / "dev.csv", args, work)
        print("ours", results["ours"], flush=True)
    if "b_eval" in which:
        every = results.get("ours", {}).get("resolved", {}).get("eval_steps") or math.ceil(
            math.ceil(len(train) / args.batch_size) * args.epochs / 4)
        results["b_eval"] = run_trainer_baseline(train, dev, args, work, every=every)
        print("(b) with evaluations", results["b_eval"], flush=True)
    for key in ("ours", "a", "b", "b_eval"):
        if key in results:
            rate = results[key]["samples_per_second"]
            results[key]["mfu"] = flops_epoch / len(train) * rate / peak
    _print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


def _print_table(results: dict[str, Any]) -> None:
    ours = results.get("ours", {}).get("samples_per_second")
    print("\n| engine | samples/s | ours / this | MFU | dev accuracy |\n|---|---|---|---|---|")
    names = {"ours": "TuneScope (end to end, with evals + checkpoints)", "a": "(a) tutorial: pad 128, fp32, loop",
             "b": "(b) HF Trainer: dynamic pad, group_by_length, bf16",
             "b_eval": "(b) the same, with TuneScope's evals + checkpoints"}
    for key, name in names.items():
        if key not in results:
            continue
        r = results[key]
        ratio = f"{ours / r['samples_per_second']:.2f}x" if ours else "-"
        accuracy = f"{r['accuracy']:.4f}" if "accuracy" in r else "-"
        print(f"| {name} | {r['samples_per_second']:.1f} | {ratio} | {r['mfu']:.1%} | {accuracy} |")
    alone = results.get("ours", {}).get("train_only_samples_per_second")
    if alone:
        line = f"\nTuneScope training steps alone: {alone:.1f} samples/s, MFU {alone * results['flops_per_epoch'] / results['rows'] / results['peak_bf16_flops']:.1%}"
        if "b" in results:
            line += f", {alone / results['b']['samples_per_second']:.2f}x (b)"
        print(line)


if __name__ == "__main__":
    main()
