"""The ``python -m core`` commands that use a trained model: predict, index, evaluate, attention,
describe, report and export. Each reads its parsed arguments, calls core and returns JSON data;
the run-management and training commands are in ``core.cli.commands``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.attention.attributions import integrated_gradients, resolve_target
from core.attention.extract import extract_attention, rollout, select
from core.attention.heads import head_importance, head_statistics
from core.attention.neurons import query_key
from core.data import Columns
from core.data.readable import unreadable_warnings
from core.errors import TuneScopeError
from core.export import export_run
from core.inference import load_for_inference, predict_file, predict_texts
from core.inference.calibration import check_threshold
from core.inference.evaluate import (
    evaluate_file,
    evaluate_run,
    evaluation_result,
    score_predicted_file,
    write_result,
)
from core.inference.similar import build_index, progress_lines, similar_examples
from core.models import describe_model
from core.plots.attention import sized, standard_figure
from core.plots.export import export_html, export_png
from core.plots.headview import head_view_data, neuron_view_data, write_html
from core.report import build_report
from core.runs import require_run


def cmd_predict(args: argparse.Namespace) -> Any:
    if not args.texts and not args.data:
        raise TuneScopeError("Give texts to classify, or --data FILE --output OUT.csv.")
    blank = [i for i, text in enumerate(args.texts, 1) if not text.strip()]
    if blank:
        which = "every text" if len(blank) == len(args.texts) else f"text {blank[0]}"
        raise TuneScopeError(f"{which[0].upper()}{which[1:]} to classify is empty: give texts with words in them.")
    if args.similar and args.data:
        raise TuneScopeError("--similar goes with texts to classify, not with --data.")
    if args.label_column and not args.data:
        raise TuneScopeError("--label-column goes with --data FILE (a file with a column of true labels).")
    loaded = load_for_inference(args.model)
    if args.similar and loaded.source.run_dir is None:
        raise TuneScopeError("--similar needs a run's model: give --model RUN_FOLDER (a finished run).")
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.data:
        return _predict_data(args, loaded)
    for warning in unreadable_warnings(args.texts, loaded.tokenizer, loaded.source.display):
        print(f"warning: {warning}", file=sys.stderr)
    results = predict_texts(loaded, args.texts)
    if args.similar:
        for result in results:
            result["similar"] = similar_examples(loaded, loaded.source.run_dir, result["text"], k=args.similar)
    return results



def _predict_data(args: argparse.Namespace, loaded: Any) -> Any:
    """``predict --data``: the predictions CSV, and the scores when the file has a column of the model's labels."""
    from tqdm import tqdm

    if not args.output:
        raise TuneScopeError("--data needs --output OUT.csv to write the predictions to.")
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:  # the bar starts with the first batch, after the checks
        if not bars:
            bars.append(tqdm(total=total, desc="predicting", unit="rows", file=sys.stderr))
        bars[0].update(done - bars[0].n)

    try:
        columns = Columns(args.text_column, args.label_column, args.text_pair_column)
        summary = predict_file(loaded, args.data, args.output, columns, progress, escape_formulas=args.escape_formulas)
    finally:
        for bar in bars:
            bar.close()
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if "true_labels" in summary:
        evaluation = score_predicted_file(loaded.labels, summary)
        for key in ("true_labels", "probabilities", "texts", "pairs"):
            summary.pop(key, None)
        summary["evaluation"] = evaluation.report()
    return summary



def cmd_index(args: argparse.Namespace) -> Any:
    return build_index(args.run_dir, max_rows=args.max_rows, progress=progress_lines())



def cmd_evaluate(args: argparse.Namespace) -> Any:
    if args.model and not args.data:
        raise TuneScopeError("evaluate --model needs a labelled DATA file (or --run RUN to score a run on its "
                             "validation set).")
    if args.run:
        require_run(args.run)
    loaded = load_for_inference(args.model or args.run)
    if not loaded.multi_label:  # multi-label: one threshold for every label, in place of the tuned ones
        check_threshold(args.threshold, loaded.labels)  # before the long part
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if total >= 1000:  # a bar on stderr for large files only
            from tqdm import tqdm

            if not bars:
                bars.append(tqdm(total=total, desc="evaluating", unit="rows", file=sys.stderr))
            bars[0].update(done - bars[0].n)

    columns = Columns(args.text_column, args.label_column, args.text_pair_column)
    try:
        if args.run:
            evaluation = evaluate_run(args.run, args.data, columns, progress=progress, precision=args.precision)
        else:
            evaluation = evaluate_file(args.model, args.data, columns, progress=progress, precision=args.precision)
    finally:
        for bar in bars:
            bar.close()
    summary = evaluation_result(evaluation, args.threshold, args.misclassified)
    if args.output:
        full = evaluation_result(evaluation, args.threshold, args.misclassified, full=True)
        summary["output"] = str(write_result(full, args.output))
    return summary



def cmd_attention(args: argparse.Namespace) -> Any:
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
        result["head_stats"] = {name: keep(values, heads=True) for name, values in head_statistics(full).items()}
    if args.head_importance:
        target = resolve_target(loaded.model, args.target_label)
        result["head_importance"] = head_importance(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                    target, args.max_length)
    if args.attributions:
        result["attributions"] = integrated_gradients(loaded.model, loaded.tokenizer, args.text, args.text_pair,
                                                      args.target_label, max_length=args.max_length).to_dict()
    if args.export_html or args.export_png:
        extracted.attentions = full
        layer, head = (args.layer or [0])[0], (args.head or [0])[0]
        figure = sized(standard_figure("head" if args.view == "neuron" else args.view, extracted, layer, head))
        if args.export_html and args.view in ("head", "neuron"):  # the interactive view, one offline file

            data = head_view_data(extracted, layer) if args.view == "head" else neuron_view_data(
                query_key(loaded.model, loaded.tokenizer, args.text, args.text_pair, layer, args.max_length), head)
            result["export_html"] = str(write_html(data, args.export_html))
        elif args.export_html:
            result["export_html"] = str(export_html(figure, args.export_html))
        if args.export_png:
            path, engine = export_png(figure, args.export_png)
            result["export_png"], result["png_engine"] = str(path), engine
    if args.output:
        Path(args.output).write_text(json.dumps(result), encoding="utf-8")
        return {"output": args.output, "tokens": result["tokens"], "layers": result["layers"], "heads": result["heads"]}
    return result



def cmd_describe(args: argparse.Namespace) -> Any:
    loaded = load_for_inference(args.model)
    return describe_model(loaded.model, loaded.source)



def cmd_report(args: argparse.Namespace) -> Any:
    path = build_report(args.run_dir, output=args.output)
    return {"output": str(path), "bytes": path.stat().st_size}



def cmd_export(args: argparse.Namespace) -> Any:
    result = export_run(args.run_dir, args.format, args.output)
    if "max_abs_diff" in result:
        print(f"ONNX vs PyTorch on {result['checked_rows']} {result['checked_on']}: largest probability difference "
              f"{result['max_abs_diff']:.2e} (limit {result['tolerance']:g})", file=sys.stderr)
    return result



MODEL_COMMANDS = {
    "predict": cmd_predict, "evaluate": cmd_evaluate, "attention": cmd_attention, "describe": cmd_describe,
    "report": cmd_report, "export": cmd_export, "index": cmd_index,
}
