"""What each ``python -m core`` command does: read its parsed arguments, call core, return JSON data.

Each command calls the same core functions the UI calls. Errors are raised as typed core errors;
``core.cli.main`` prints them as one ``error:`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import TuneScopeError


def cmd_inspect(args: argparse.Namespace) -> Any:
    from core.data import inspect_file
    from core.errors import ConfigError

    if args.max_length < 1:
        raise ConfigError(f"--max-length must be a positive number of tokens (got {args.max_length}).")
    return inspect_file(args.data, args.text_column, args.label_column, args.text_pair_column,
                        model=args.model, max_length=args.max_length, val_path=args.val_data)


def cmd_train(args: argparse.Namespace) -> Any:
    from core import runs
    from core.cli.settings import config_from_args
    from core.training.run import run_training
    from core.training.stopping import stop_signal

    if args.run_dir:
        with stop_signal():  # this process is a training process: SIGTERM means a clean stop
            return run_training(args.run_dir, resume=args.resume)
    if not args.data:
        raise TuneScopeError("train needs a labelled data file (or --run-dir of an existing run).")
    config = config_from_args(args)
    run_dir = Path(args.output) if args.output else None
    if int(os.environ.get("RANK", "0")) == 0:
        run_dir = runs.create_run(config, run_dir=run_dir)
    else:  # other ranks of torchrun / accelerate wait for rank 0 to write the folder
        if run_dir is None:
            raise TuneScopeError("With several processes, give --output so every rank uses the same run folder.")
        while not runs.RunPaths(run_dir).status.exists():
            time.sleep(0.2)
    with stop_signal():
        return run_training(run_dir)


def cmd_resume(args: argparse.Namespace) -> Any:
    from core import runs
    from core.training.run import run_training
    from core.training.stopping import stop_signal

    runs.check_resumable(args.run_dir)  # not a run, still active, nothing intact to resume: one sentence
    with stop_signal():
        return run_training(args.run_dir, resume=True)


def cmd_retry(args: argparse.Namespace) -> Any:
    from core import runs
    from core.training.run import run_training
    from core.training.stopping import stop_signal

    runs.require_run(args.run_dir)
    runs.apply_smaller_batch(args.run_dir)
    with stop_signal():
        return run_training(args.run_dir, resume=runs.last_checkpoint(args.run_dir) is not None)


def cmd_predict(args: argparse.Namespace) -> Any:
    from core.inference import load_for_inference, predict_file, predict_texts

    if not args.texts and not args.data:
        raise TuneScopeError("Give texts to classify, or --data FILE --output OUT.csv.")
    blank = [i for i, text in enumerate(args.texts, 1) if not text.strip()]
    if blank:
        which = "every text" if len(blank) == len(args.texts) else f"text {blank[0]}"
        raise TuneScopeError(f"{which[0].upper()}{which[1:]} to classify is empty: give texts with words in them.")
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
    from core.inference.evaluate import evaluate_file

    return evaluate_file(args.model, args.data, args.text_column, args.label_column, args.text_pair_column)


def cmd_attention(args: argparse.Namespace) -> Any:
    from core.attention.extract import extract_attention, rollout, select
    from core.inference import load_for_inference

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
        from core.attention.heads import head_statistics

        result["head_stats"] = {name: keep(values, heads=True) for name, values in head_statistics(full).items()}
    if args.head_importance:
        from core.attention.attributions import resolve_target
        from core.attention.heads import head_importance

        target = resolve_target(loaded.model, args.target_label)
        result["head_importance"] = head_importance(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                    target, args.max_length)
    if args.attributions:
        from core.attention.attributions import integrated_gradients

        result["attributions"] = integrated_gradients(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                      args.target_label, max_length=args.max_length).to_dict()
    if args.export_html or args.export_png:
        from core.plots.attention import standard_figure
        from core.plots.export import export_html, export_png

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
    from core.runs import request_stop, require_run

    return request_stop(require_run(args.run_dir))


def cmd_describe(args: argparse.Namespace) -> Any:
    from core.inference import load_for_inference
    from core.models import describe_model

    loaded = load_for_inference(args.model)
    return describe_model(loaded.model, loaded.source)


COMMANDS = {
    "inspect": cmd_inspect, "train": cmd_train, "predict": cmd_predict, "evaluate": cmd_evaluate,
    "attention": cmd_attention, "runs": cmd_runs, "stop": cmd_stop, "describe": cmd_describe,
    "resume": cmd_resume, "retry": cmd_retry,
}
