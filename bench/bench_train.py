"""Training throughput benchmark: TuneScope's engine against two baselines measured in the same run.

    .venv/bin/python bench/bench_train.py [--data ../shared/data/sst2] [--limit N --dev-limit M] [--only ours,a,b]
    .venv/bin/python bench/bench_train.py --limit 1280 --dev-limit 160 --only b,ours --threads 1 --rounds 2

On SST-2 with the default MiniLM, batch 32, max_length 128, one epoch, it reports samples/s for
  ours  TuneScope ``run_training`` end to end (its evaluations and checkpoints included),
  (a)   the tutorial recipe: every batch padded to max_length, a plain PyTorch loop
        (every batch has the same shape, so a fixed number of timed steps measures it exactly),
  (b)   Hugging Face ``Trainer`` with dynamic padding and group_by_length sampling,
all three in the precision TuneScope picks on this machine (``core.devices.pick_precision``: bf16 only where
the CPU has it natively, AVX-512 BF16 or AMX; fp32 otherwise, where bf16 would be emulated and slow), the
ratios ours/(a) and ours/(b) (per round: with ``--rounds`` (b) and TuneScope alternate, so on a loaded
machine neighbouring runs are compared), the model FLOPs utilisation (MFU) against a matrix multiply of that
same precision timed in this process on the same threads (the CPU's features are printed first), dev
accuracy, and where TuneScope's wall time went: setup, training steps, evaluations, checkpoint saves, the
final prediction on the validation set, ``model/`` and the similar-examples index. FLOPs = 6 * non-embedding
params * real tokens + attention (12 * layers * hidden * T^2 per sequence for forward + backward), T = non-pad
tokens of the sequence.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
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


SHAPES = ((512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (1024, 384, 1536), (1024, 1536, 384),
          (1024, 384, 384))


GPU_SHAPES = ((4096, 4096, 4096), (8192, 8192, 8192), (8192, 768, 3072), (8192, 3072, 768))


def peak_flops(precision: str, repeats: int = 10, device: str = "cpu") -> float:
    """Best observed FLOP/s of a matmul in ``precision`` ('bf16', 'fp16' or 'fp32') on ``device`` (the MFU
    denominator).

    On the CPU: square sizes and MiniLM's own GEMM shapes (1,024 tokens x 384 x 1,536): on a CPU with AMX
    mid-sized bf16 matmuls run ~3x faster than 2,048-square ones, so the maximum over all is the honest peak.
    On a GPU: large squares and BERT-base's GEMM shapes, timed with the device synchronised. Seconds, not
    minutes: it is measured only in the precision the engines train in (never emulated bf16).
    """
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    best_rate = 0.0
    for m, k, n in GPU_SHAPES if device == "cuda" else SHAPES:
        a, b = torch.randn(m, k, dtype=dtype, device=device), torch.randn(k, n, dtype=dtype, device=device)
        a @ b
        sync()
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            sync()
            best = min(best, time.perf_counter() - t0)
        best_rate = max(best_rate, 2 * m * k * n / best)
    return best_rate


def cpu_features() -> dict[str, Any]:
    """The CPU's name and the features that decide the precision (printed, and kept in the JSON)."""
    import platform

    import torch

    from core.devices import cpu_supports_bf16

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (lambda f: bool(getattr(torch.cpu, f, lambda: False)()))  # noqa: E731 - private torch probes
    return {"name": name, "capability": torch.backends.cpu.get_cpu_capability(), "bf16": cpu_supports_bf16(),
            "avx512_bf16": probe("_is_avx512_bf16_supported"), "amx": probe("_is_amx_tile_supported")}


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


def run_ours(train_csv: Path, dev_csv: Path, args: argparse.Namespace, work: Path, tag: str = "") -> dict[str, Any]:
    """TuneScope's ``run_training`` end to end, with the wall time of each phase.

    ``steps``, ``evaluations`` and ``checkpoint_saves`` come from the run's own events (each eval and
    checkpoint event carries its seconds); ``final_predict``, ``final_save`` (model/, metrics, card) and
    ``index`` (the similar-examples index) are timed here around the functions the run calls at its end;
    ``setup`` is the rest of the wall time (data, tokenization, model loading, thread choice).
    """
    from core import job, runs
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.settings import from_values

    values = {"epochs": args.epochs, "batch_size": args.batch_size, "max_length": args.max_length, "seed": args.seed,
              "device": args.device, **({"learning_rate": args.learning_rate} if args.learning_rate else {}),
              **dict(item.split("=", 1) for item in args.set or [])}
    settings = from_values(TrainSettings, values)
    config = RunConfig(data=DataSettings(train_file=str(train_csv), val_file=str(dev_csv)), train=settings,
                       **({"model": args.model_folder} if args.model_folder else {}))
    run_dir = job.create_run(config, run_dir=work / f"ours{tag}")
    summary, wall, timed, cpu = _timed_training(run_dir)
    events = runs.read_events(run_dir)
    steps = [e for e in events if e["event"] == "step"]
    evals = sum(e.get("seconds", 0.0) for e in events if e["event"] == "eval")
    saves = sum(e.get("seconds", 0.0) for e in events if e["event"] == "checkpoint")
    runtime = summary["train_runtime"]
    outputs = timed.get("save_outputs", 0.0)  # model/ (save_model_folder), config, metrics and card
    phases = {"setup": wall - runtime - timed.get("final_model", 0.0) - outputs - timed.get("write_index", 0.0),
              "steps": runtime - evals - saves, "evaluations": evals, "checkpoint_saves": saves,
              "final_predict": timed.get("final_model", 0.0) + outputs - timed.get("save_model_folder", 0.0),
              "final_save": timed.get("save_model_folder", 0.0), "index": timed.get("write_index", 0.0)}
    return {"samples_per_second": summary["train_samples_per_second"], "runtime": runtime,
            "wall_seconds": wall, "cpu_seconds": cpu, "phases": phases,
            "evaluations": sum(e["event"] == "eval" for e in events),
            "checkpoints": sum(e["event"] == "checkpoint" for e in events),
            "accuracy": summary["metrics"]["accuracy"], "steps": summary["global_step"],
            "train_only_samples_per_second": _train_only_rate(steps, events),
            "resolved": runs.load_config(run_dir).resolved}


def _timed_training(run_dir: Path) -> tuple[dict[str, Any], float, dict[str, float], float]:
    """``run_training(run_dir)``: its summary, wall seconds, the seconds of the functions it calls at its end
    (``final_model``: the final prediction; ``save_outputs`` with its ``save_model_folder``; ``write_index``)
    and the CPU seconds of ``Trainer.train`` (steadier than wall time on a busy machine)."""
    from core.job import outputs as outputs_module
    from core.job import run as run_module
    from core.training import finetune as finetune_module
    from core.training.trainer import WeightedTrainer

    timed: dict[str, float] = {}
    where = {"final_model": finetune_module, "save_outputs": run_module, "save_model_folder": outputs_module,
             "write_index": run_module}  # the module whose global name each caller looks up
    originals = {name: getattr(module, name) for name, module in where.items()}
    train, cpu = WeightedTrainer.train, [0.0]

    def timing(name: str) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return originals[name](*a, **k)
            finally:
                timed[name] = timed.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    def cpu_timed(self: Any, *a: Any, **k: Any) -> Any:
        c0 = time.process_time()
        try:
            return train(self, *a, **k)
        finally:
            cpu[0] += time.process_time() - c0

    for name, module in where.items():
        setattr(module, name, timing(name))
    WeightedTrainer.train = cpu_timed
    t0 = time.perf_counter()
    try:
        summary = run_module.run_training(run_dir)
    finally:
        WeightedTrainer.train = train
        for name, module in where.items():
            setattr(module, name, originals[name])
    return summary, time.perf_counter() - t0, timed, cpu[0]


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
                         every: int | None = None, tag: str = "") -> dict[str, Any]:
    """(b) Hugging Face Trainer: dynamic padding, group_by_length, TuneScope's precision, otherwise defaults.

    With ``every`` it also evaluates on dev and saves a checkpoint every that many steps, keeping the
    best model, as TuneScope does: the same work, so the end-to-end ratio compares engines only.
    """
    import numpy as np
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from core.training.metrics import trainer_metrics

    tokenizer, model = _fresh_model(args)
    train_ds, dev_ds = _tokenized(train, tokenizer, args.max_length, False), _tokenized(dev, tokenizer, 128, False)
    schedule: dict[str, Any] = {"save_strategy": "no", "eval_strategy": "no"}
    if every:
        schedule = {"save_strategy": "steps", "eval_strategy": "steps", "save_steps": every, "eval_steps": every,
                    "save_total_limit": 2, "load_best_model_at_end": True, "metric_for_best_model": "f1_macro"}
    targs = TrainingArguments(output_dir=str(work / f"hf-{every or 0}{tag}"), num_train_epochs=args.epochs,
                              per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=64,
                              learning_rate=1e-4, warmup_steps=0.06, train_sampling_strategy="group_by_length",
                              bf16=args.precision == "bf16", fp16=args.precision == "fp16",
                              use_cpu=args.device == "cpu", report_to="none", disable_tqdm=True,
                              seed=42, **schedule)
    trainer = Trainer(model=model, args=targs, train_dataset=train_ds, eval_dataset=dev_ds if every else None,
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=trainer_metrics if every else None)
    cpu = time.process_time()
    result = trainer.train()
    cpu = time.process_time() - cpu
    output = trainer.predict(dev_ds)
    accuracy = float((np.asarray(output.predictions).argmax(-1) == output.label_ids).mean())
    return {"samples_per_second": result.metrics["train_samples_per_second"],
            "runtime": result.metrics["train_runtime"], "cpu_seconds": cpu, "accuracy": accuracy}


def run_tutorial_baseline(train: Any, args: argparse.Namespace) -> dict[str, Any]:
    """(a) The tutorial loop: pad to max_length, AdamW + linear schedule, timed over fixed steps; bf16 autocast only
    where TuneScope would train in bf16 (the tutorial itself is fp32)."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import get_scheduler

    tokenizer, model = _fresh_model(args)
    model.to(args.device)
    data = _tokenized(train, tokenizer, args.max_length, True).with_format("torch")
    loader = DataLoader(data, shuffle=True, batch_size=args.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    total = len(loader) * args.epochs
    scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=0, num_training_steps=total)
    scaler = torch.amp.GradScaler(args.device, enabled=args.precision == "fp16")
    model.train()
    timed, warm, t0 = 0, 2, 0.0
    for i, batch in enumerate(loader):
        if i == warm:
            t0 = time.perf_counter()
        batch = {key: value.to(args.device) for key, value in batch.items()}
        with torch.autocast(args.device, dtype=torch.float16 if args.precision == "fp16" else torch.bfloat16,
                            enabled=args.precision != "fp32"):
            loss = model(**batch).loss
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        optimizer.zero_grad()
        timed += i >= warm
        if args.tutorial_steps and timed >= args.tutorial_steps:
            break
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    return {"samples_per_second": timed * args.batch_size / seconds, "timed_steps": timed, "runtime": seconds}


def _fresh_model(args: argparse.Namespace) -> tuple[Any, Any]:
    """The tokenizer and a 2-label classifier: the default model's weights, or the ``--model-config`` folder's
    (random weights of that size, saved once by :func:`model_folder`)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

    from core.modelref import default_model_path

    set_seed(42)
    path = args.model_folder or default_model_path()
    return AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)


SIZES = {"minilm": {}, "bert-base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                                     "intermediate_size": 3072}}


def model_folder(size: str, work: Path) -> str:
    """A model of ``size`` ('minilm': the default model's shape, 'bert-base': BERT-base's) with random weights and
    the default model's tokenizer, saved in ``work``: nothing downloaded."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, set_seed

    from core.modelref import default_model_path

    set_seed(0)
    config = AutoConfig.from_pretrained(default_model_path(), num_labels=2, **SIZES[size])
    folder = work / f"model-{size}"
    AutoModelForSequenceClassification.from_config(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(default_model_path()).save_pretrained(folder)
    return str(folder)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "sst2"))
    parser.add_argument("--limit", type=int, default=None, help="use only N training rows (quick run)")
    parser.add_argument("--dev-limit", type=int, default=None,
                        help="use only N dev rows (with --limit, keep SST-2's 8:1 train/dev ratio: --limit 1280 "
                             "--dev-limit 160, so evaluations weigh what they weigh in a full run)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42, help="TuneScope's seed ((b) always uses 42)")
    parser.add_argument("--learning-rate", type=float, default=None, help="override TuneScope's default")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="any other TuneScope setting")
    parser.add_argument("--threads", type=int, default=None,
                        help="intra-op threads for every engine (default: torch's, i.e. all cores)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat (b) and TuneScope this many times, alternating their order (a loaded machine)")
    parser.add_argument("--tutorial-steps", type=int, default=20, help="timed steps of (a); 0 = a full epoch")
    parser.add_argument("--only", default="ours,a,b,b_eval",
                        help="comma list of ours, a, b, b_eval ((b) with TuneScope's evaluations and checkpoints)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"),
                        help="where every engine trains (default cpu; cuda: the GPU check, bench/gpu_check.sh)")
    parser.add_argument("--model-config", default=None, choices=tuple(SIZES),
                        help="train a model of this size built from its config (random weights; nothing downloaded) "
                             "instead of the default model's weights")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (default: removed at the end)")
    return parser


def main() -> None:
    args = _parser().parse_args()

    import torch

    if args.threads:  # every engine on the same threads (TuneScope would otherwise pick its own)
        os.environ["TUNESCOPE_THREADS"] = str(args.threads)
        torch.set_num_threads(args.threads)
    else:
        os.environ.setdefault("TUNESCOPE_THREADS", str(torch.get_num_threads()))
    folder, which = Path(args.data), set(args.only.split(","))
    train, dev = load_split(folder, "train", args.limit), load_split(folder, "dev", args.dev_limit)
    work = Path(tempfile.mkdtemp(prefix="tunescope-bench-"))
    os.environ.setdefault("TUNESCOPE_CACHE", str(work / "cache"))
    train_csv, dev_csv = work / "train.csv", work / "dev.csv"
    train.to_csv(train_csv, index=False)
    dev.to_csv(dev_csv, index=False)
    from core.devices import pick_device, pick_precision

    args.device = pick_device(args.device)
    args.precision = pick_precision(args.device)  # what TuneScope trains in here: every engine and the peak use it
    args.model_folder = model_folder(args.model_config, work) if args.model_config else None
    results = _setup(train, args)
    if "a" in which:
        results["a"] = run_tutorial_baseline(train, args)
        print("(a)", results["a"], flush=True)
    for round_ in range(args.rounds):
        order = ["b", "ours"] if round_ % 2 == 0 else ["ours", "b"]
        for key in (k for k in order if k in which):
            result = (run_trainer_baseline(train, dev, args, work, tag=f"-{round_}") if key == "b"
                      else run_ours(train_csv, dev_csv, args, work, tag=f"-{round_}"))
            result["mfu"] = results["flops_per_epoch"] * args.epochs / len(train) * result["samples_per_second"] \
                / results["peak_flops"]
            results.setdefault("rounds", []).append({"round": round_, "engine": key, **result})
            results[key] = result  # the last round's, for the table
            print(f"round {round_} {key}", {k: v for k, v in result.items() if k != "resolved"}, flush=True)
    if "b_eval" in which:
        every = results.get("ours", {}).get("resolved", {}).get("eval_steps") or math.ceil(
            math.ceil(len(train) / args.batch_size) * args.epochs / 4)
        results["b_eval"] = run_trainer_baseline(train, dev, args, work, every=every)
        print("(b) with evaluations", results["b_eval"], flush=True)
    for key in ("a", "b_eval"):
        if key in results:
            results[key]["mfu"] = results["flops_per_epoch"] * args.epochs / len(train) \
                * results[key]["samples_per_second"] / results["peak_flops"]
    _print_table(results)
    _print_rounds(results)
    _print_phases(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    if args.keep:
        print(f"run folders kept in {work}")
    else:  # every round leaves checkpoints and models behind: hundreds of MB
        shutil.rmtree(work, ignore_errors=True)


def _setup(train: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The CPU's features, then rows, token lengths, FLOPs of one epoch and the matmul peak in the engines'
    precision, printed."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.modelref import default_model_path

    path = args.model_folder or default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    lengths = [len(ids) for ids in tokenizer(list(train["sentence"]), truncation=True,
                                             max_length=args.max_length)["input_ids"]]
    flops_epoch = model_flops(AutoModelForSequenceClassification.from_pretrained(path, num_labels=2), lengths)
    features = cpu_features()
    print(f"CPU: {features['name']}; {features['capability']}; native bf16 {'yes' if features['bf16'] else 'no'} "
          f"(AVX-512 BF16 {features['avx512_bf16']}, AMX {features['amx']}); every engine trains in "
          f"{args.precision} on {args.device}" + (f" ({torch.cuda.get_device_name(0)})" if args.device == "cuda"
                                                  else "") + f"; model {args.model_config or 'default'}", flush=True)
    peak = peak_flops(args.precision, device=args.device)
    results: dict[str, Any] = {"rows": len(train), "threads": torch.get_num_threads(), "peak_flops": peak,
                               "precision": args.precision, "cpu": features,
                               "mean_tokens": sum(lengths) / len(lengths), "flops_per_epoch": flops_epoch,
                               "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}
    print(f"{len(train)} rows, mean {results['mean_tokens']:.1f} tokens, {torch.get_num_threads()} threads, "
          f"{args.precision} matmul peak {peak / 1e9:.0f} GFLOP/s, load average {results['load_average']}", flush=True)
    return results


def _print_table(results: dict[str, Any]) -> None:
    ours = results.get("ours", {}).get("samples_per_second")
    print("\n| engine | samples/s | ours / this | MFU | dev accuracy |\n|---|---|---|---|---|")
    names = {"ours": "TuneScope (end to end, with evals + checkpoints)", "a": f"(a) tutorial: pad 128, {results.get('precision', 'fp32')}, loop",
             "b": f"(b) HF Trainer: dynamic pad, group_by_length, {results.get('precision', 'bf16')}",
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
        line = f"\nTuneScope training steps alone: {alone:.1f} samples/s, MFU {alone * results['flops_per_epoch'] / results['rows'] / results['peak_flops']:.1%}"
        if "b" in results:
            line += f", {alone / results['b']['samples_per_second']:.2f}x (b)"
        print(line)


def _print_rounds(results: dict[str, Any]) -> None:
    """Each round's ours/(b) ratios: on a loaded machine only ratios of neighbouring runs mean anything."""
    pairs: dict[int, dict[str, Any]] = {}
    for r in results.get("rounds", []):
        pairs.setdefault(r["round"], {})[r["engine"]] = r
    pairs = {k: p for k, p in pairs.items() if "ours" in p and "b" in p}
    if not pairs:
        return
    kinds = {
        "train() samples/s, with evaluations and checkpoints, against (b) without": lambda o, b: (
            o["samples_per_second"] / b["samples_per_second"]),
        "the same in CPU seconds of train() (steadier on a busy machine; with 1 thread)": lambda o, b: (
            b["cpu_seconds"] / o["cpu_seconds"]),
        "TuneScope's whole wall time (setup, final predict, model/ and index included) against (b)": lambda o, b: (
            o["samples_per_second"] * o["runtime"] / o["wall_seconds"] / b["samples_per_second"]),
        "the same up to the run's final status (the index is built after it)": lambda o, b: (
            o["samples_per_second"] * o["runtime"] / (o["wall_seconds"] - o["phases"]["index"])
            / b["samples_per_second"]),
    }
    print()
    for name, ratio in kinds.items():
        values = [ratio(p["ours"], p["b"]) for p in pairs.values()]
        print(f"ours / (b), {name}: {', '.join(f'{x:.2f}x' for x in values)}; median {statistics.median(values):.2f}x")


def _print_phases(results: dict[str, Any]) -> None:
    """Where TuneScope's wall time went, per round."""
    for r in (r for r in results.get("rounds", []) if r["engine"] == "ours"):
        phases = r["phases"]
        shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
        print(f"TuneScope round {r['round']}: wall {r['wall_seconds']:.1f} s = {shown} "
              f"({r['evaluations']} evaluations, {r['checkpoints']} checkpoints); accuracy {r['accuracy']:.4f}")


if __name__ == "__main__":
    main()
