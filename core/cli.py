"""Headless command line: ``python -m core inspect|train|predict|evaluate|attention|runs|stop``.

JSON results go to stdout; progress goes to stderr; bad input prints one ``error: ...`` line on
stderr and exits with code 2. Each command calls the same core functions the UI calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import TuneScopeError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _add_columns(parser: argparse.ArgumentParser, label: bool = True) -> None:
    parser.add_argument("--text-column", help="column with the text (guessed when omitted)")
    parser.add_argument("--text-pair-column", help="second text column for sentence-pair tasks")
    if label:
        parser.add_argument("--label-column", help="column with the label (guessed when omitted)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="TuneScope headless CLI (JSON on stdout).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("inspect", help="read a labelled file and report columns, labels and problems")
    p.add_argument("data")
    _add_columns(p)
    p.add_argument("--model", default=None,
                   help="'default', a model folder, a run or a hub id: adds the token-length report (default: none)")
    p.add_argument("--max-length", type=int, default=128, help="max_length to report truncation against")
    p.add_argument("--val-data", help="validation file: adds its labels and its overlap with the training data")

    p = sub.add_parser("train", help="fine-tune a model; writes a run folder")
    p.add_argument("data", nargs="?", help="labelled training file")
    p.add_argument("--output", help="run folder to create (default: runs/<id>)")
    p.add_argument("--run-dir", help="train an existing run folder (what the app spawns)")
    p.add_argument("--resume", action="store_true", help="continue --run-dir from its last checkpoint")
    p.add_argument("--model", default="default", help="'default', a Hugging Face id, a model folder or a run folder")
    _add_columns(p)
    p.add_argument("--val-data", help="validation file (default: split off --val-fraction)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--warmup-ratio", type=float, default=0.06)
    p.add_argument("--scheduler", choices=["linear", "cosine", "constant"], default="linear")
    p.add_argument("--gradient-accumulation", type=int, default=1)
    p.add_argument("--eval-steps", type=int, default=None)
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    p.add_argument("--metric", choices=["f1_macro", "accuracy", "eval_loss"], default="f1_macro")
    p.add_argument("--class-weights", choices=["auto", "on", "off"], default="auto")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"], default="auto")
    p.add_argument("--lora", action="store_true", help="train LoRA adapters (merged into model/ at the end)")
    p.add_argument("--lora-rank", type=int, default=8)
    p.add_argument("--dropout", default="auto",
                   help="'auto' (off for runs of up to 2 epochs), 'model' (the model's own rates) or a rate like 0.1")
    p.add_argument("--train-embeddings", action="store_true",
                   help="also train the token-embedding matrix (frozen by default)")
    p.add_argument("--max-grad-norm", type=float, default=5.0, help="clip the gradient norm to this (default 5)")

    p = sub.add_parser("predict", help="predict labels for texts or a whole file")
    p.add_argument("texts", nargs="*")
    p.add_argument("--model", default="default")
    p.add_argument("--data", help="file to predict row by row")
    p.add_argument("--output", help="CSV to write with --data")
    _add_columns(p, label=False)

    p = sub.add_parser("evaluate", help="score a model on a labelled file")
    p.add_argument("data")
    p.add_argument("--model", required=True)
    _add_columns(p)

    p = sub.add_parser("attention", help="attention weights for one text (exact, eager attention)")
    p.add_argument("text")
    p.add_argument("--text-pair", default=None)
    p.add_argument("--model", default="default")
    p.add_argument("--output", help="write the JSON here instead of stdout")
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--layer", type=int, nargs="+", help="keep only these layers (0-based) in the output")
    p.add_argument("--head", type=int, nargs="+", help="keep only these heads (0-based) in the output")
    p.add_argument("--precision", type=int, default=None, help="round weights to N decimals (default: exact)")
    p.add_argument("--rollout", action="store_true", help="add attention rollout [layers][T][T]")
    p.add_argument("--head-stats", action="store_true", help="add per-head entropy and mean distance [layers][heads]")
    p.add_argument("--head-importance", action="store_true", help="add the probability change when each head is masked")
    p.add_argument("--attributions", action="store_true", help="add integrated-gradients token attributions")
    p.add_argument("--target-label", default=None, help="class (name or index) to attribute; default: predicted")
    p.add_argument("--view", choices=["head", "grid", "aggregates", "stats"], default="grid",
                   help="figure for --export-html/--export-png (head uses the first --layer/--head)")
    p.add_argument("--export-html", metavar="FILE", help="write the --view figure as standalone offline HTML")
    p.add_argument("--export-png", metavar="FILE", help="write the --view figure as PNG")

    p = sub.add_parser("resume", help="continue a stopped, failed or killed run from its last checkpoint")
    p.add_argument("run_dir")

    p = sub.add_parser("retry", help="after out-of-memory: halve the batch, double accumulation, train again")
    p.add_argument("run_dir")

    p = sub.add_parser("runs", help="list run folders")
    p.add_argument("--root", default=None)

    p = sub.add_parser("stop", help="ask a running run to stop (it saves a model)")
    p.add_argument("run_dir")

    p = sub.add_parser("describe", help="architecture facts of a model")
    p.add_argument("--model", default="default")
    return parser


def cmd_inspect(args: argparse.Namespace) -> Any:
    from core.data import inspect_file
    from core.errors import ConfigError

    if args.max_length < 1:
        raise ConfigError(f"--max-length must be a positive number of tokens (got {args.max_length}).")
    return inspect_file(args.data, args.text_column, args.label_column, args.text_pair_column,
                        model=args.model, max_length=args.max_length, val_path=args.val_data)


def _run_config(args: argparse.Namespace) -> Any:
    from core.config import DataSettings, RunConfig, TrainSettings, parse_dropout

    if not args.data:
        raise TuneScopeError("train needs a labelled data file (or --run-dir of an existing run).")
    return RunConfig(
        model=args.model,
        data=DataSettings(train_file=args.data, text_column=args.text_column, label_column=args.label_column,
                          text_pair_column=args.text_pair_column, val_file=args.val_data, val_fraction=args.val_fraction),
        train=TrainSettings(
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
            max_length=args.max_length, seed=args.seed, max_steps=args.max_steps, warmup_ratio=args.warmup_ratio,
            lr_scheduler=args.scheduler, gradient_accumulation_steps=args.gradient_accumulation,
            eval_steps=args.eval_steps, early_stopping_patience=args.early_stopping, metric_for_best_model=args.metric,
            class_weights=args.class_weights, device=args.device, precision=args.precision, lora=args.lora,
            lora_rank=args.lora_rank, dropout=parse_dropout(args.dropout), freeze_embeddings=not args.train_embeddings,
            max_grad_norm=args.max_grad_norm,
        ),
    )


def cmd_train(args: argparse.Namespace) -> Any:
    from core import runs
    from core.training import run_training

    if args.run_dir:
        return run_training(args.run_dir, resume=args.resume)
    config = _run_config(args)
    run_dir = Path(args.output) if args.output else None
    if int(os.environ.get("RANK", "0")) == 0:
        run_dir = runs.create_run(config, run_dir=run_dir)
    else:  # other ranks of torchrun / accelerate wait for rank 0 to write the folder
        if run_dir is None:
            raise TuneScopeError("With several processes, give --output so every rank uses the same run folder.")
        while not runs.RunPaths(run_dir).status.exists():
            time.sleep(0.2)
    return run_training(run_dir)


def cmd_resume(args: argparse.Namespace) -> Any:
    from core.training import run_training

    return run_training(args.run_dir, resume=True)


def cmd_retry(args: argparse.Namespace) -> Any:
    from core import runs
    from core.training import run_training

    runs.apply_smaller_batch(args.run_dir)
    return run_training(args.run_dir, resume=runs.last_checkpoint(args.run_dir) is not None)


def cmd_predict(args: argparse.Namespace) -> Any:
    from core.predict import load_for_inference, predict_file, predict_texts

    if not args.texts and not args.data:
        raise TuneScopeError("Give texts to classify, or --data FILE --output OUT.csv.")
    loaded = load_for_inference(args.model)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.data:
        if not args.output:
            raise TuneScopeError("--data needs --output OUT.csv to write the predictions to.")
        from tqdm import tqdm

        with tqdm(total=None, desc="predicting", unit="rows", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            return predict_file(loaded, args.data, args.output, args.text_column, args.text_pair_column, progress)
    return predict_texts(loaded, args.texts)


def cmd_evaluate(args: argparse.Namespace) -> Any:
    from core.evaluate import evaluate_file

    return evaluate_file(args.model, args.data, args.text_column, args.label_column, args.text_pair_column)


def cmd_attention(args: argparse.Namespace) -> Any:
    from core.attention import extract_attention, rollout, select
    from core.predict import load_for_inference

    loaded = load_for_inference(args.model)
    extracted = extract_attention(loaded.model, loaded.tokenizer, args.text, args.text_pair, args.max_length)
    full = extracted.attentions
    if args.layer or args.head:
        extracted.attentions = select(full, args.layer, args.head)
    result = extracted.to_dict(args.precision)
    if args.layer or args.head:
        result["layer_indices"] = args.layer or list(range(full.shape[0]))
        result["head_indices"] = args.head or list(range(full.shape[1]))

    def keep(array: Any, heads: bool) -> Any:
        array = array[args.layer] if args.layer else array
        array = array[:, args.head] if heads and args.head else array
        return array.round(args.precision).tolist() if args.precision is not None else array.tolist()

    if args.rollout:
        result["rollout"] = keep(rollout(full), heads=False)
    if args.head_stats:
        from core.heads import head_statistics

        result["head_stats"] = {name: keep(values, heads=True) for name, values in head_statistics(full).items()}
    if args.head_importance:
        from core.explain import resolve_target
        from core.heads import head_importance

        target = resolve_target(loaded.model, args.target_label)
        result["head_importance"] = head_importance(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                    target, args.max_length)
    if args.attributions:
        from core.explain import integrated_gradients

        result["attributions"] = integrated_gradients(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                      args.target_label, max_length=args.max_length).to_dict()
    if args.export_html or args.export_png:
        from core.attention_plots import standard_figure
        from core.export import export_html, export_png

        extracted.attentions = full
        figure = standard_figure(args.view, extracted, (args.layer or [0])[0], (args.head or [0])[0])
        if args.export_html:
            result["export_html"] = str(export_html(figure, args.export_html))
        if args.export_png:
            path, engine = export_png(figure, args.export_png)
            result["export_png"], result["png_engine"] = str(path), engine
    if args.output:
        Path(args.output).write_text(json.dumps(result), encoding="utf-8")
        return {"output": args.output, "tokens": result["tokens"], "layers": result["layers"], "heads": result["heads"]}
    return result


def cmd_runs(args: argparse.Namespace) -> Any:
    from core.runs import list_runs

    return list_runs(args.root)


def cmd_stop(args: argparse.Namespace) -> Any:
    from core.runs import request_stop

    return request_stop(args.run_dir)


def cmd_describe(args: argparse.Namespace) -> Any:
    from core.models import describe_model
    from core.predict import load_for_inference

    loaded = load_for_inference(args.model)
    return describe_model(loaded.model, loaded.source)


COMMANDS = {
    "inspect": cmd_inspect, "train": cmd_train, "predict": cmd_predict, "evaluate": cmd_evaluate,
    "attention": cmd_attention, "runs": cmd_runs, "stop": cmd_stop, "describe": cmd_describe,
    "resume": cmd_resume, "retry": cmd_retry,
}


def _quiet_libraries(verbose: bool) -> None:
    """Keep stderr for our progress and errors: no weight-loading bars or load reports from libraries."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning" if verbose else "error")
    if not verbose:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    _quiet_libraries(verbose=args.command in ("train", "resume", "retry"))
    stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # libraries' prints must not corrupt the JSON
            result = COMMANDS[args.command](args)
    except TuneScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # unexpected: still one line, traceback only on request
        if os.environ.get("TUNESCOPE_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set TUNESCOPE_DEBUG=1 for details)", file=sys.stderr)
        return 1
    stdout.write(json.dumps(result, indent=2, default=str) + "\n")
    stdout.flush()
    return 0
