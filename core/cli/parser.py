"""The ``python -m core`` argument parser. ``train``'s setting flags come from ``core.cli.settings``
(derived from ``core.config``); the other commands' flags are declared here.
"""

from __future__ import annotations

import argparse
import sys

from core.cli.fill_commands import add_fill_parser
from core.cli.label_commands import add_label_parsers
from core.cli.settings import add_setting_flags
from core.cli.sweep_commands import add_sweep_parsers


class Parser(argparse.ArgumentParser):
    """argparse with one ``error:`` line and exit code 2 on bad usage (no usage dump)."""

    def error(self, message: str) -> None:
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _add_columns(parser: argparse.ArgumentParser, label: bool = True) -> None:
    parser.add_argument("--text-column", help="column with the text (guessed when omitted)")
    parser.add_argument("--text-pair-column", help="second text column for sentence-pair tasks")
    if label:
        parser.add_argument("--label-column", help="column with the label (guessed when omitted)")


def _add_allow_pickle(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-pickle", action="store_true",
                        help="admin only: load models whose only weights are pickle (pytorch_model.bin), which can "
                             "run code; sets TUNESCOPE_ALLOW_PICKLE=1 for this process")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m core", description="TuneScope headless CLI (JSON on stdout).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_inspect(sub)
    _add_train(sub)
    _add_inference(sub)
    _add_attention(sub)
    _add_allow_pickle(add_fill_parser(sub))
    _add_runs(sub)
    _add_share(sub)
    add_sweep_parsers(sub)
    _add_allow_pickle(add_label_parsers(sub))
    return parser


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="read a labelled file and report columns, labels and problems")
    p.add_argument("data")
    _add_columns(p)
    p.add_argument("--model", default=None,
                   help="'default', a model folder, a run or a hub id: adds the token-length report (default: none)")
    p.add_argument("--max-length", type=int, default=128, help="max_length to report truncation against")
    p.add_argument("--val-data", help="validation file: adds its labels and its overlap with the training data")
    p.add_argument("--multi-label", default="auto", choices=("auto", "yes", "no"),
                   help="several labels per row ('auto': detected from the label column(s))")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune a model; writes a run folder")
    p.add_argument("data", nargs="?", help="labelled training file")
    p.add_argument("--output", help="run folder to create (default: runs/<id>)")
    p.add_argument("--run-dir", help="train an existing run folder (what the app spawns)")
    p.add_argument("--resume", action="store_true", help="continue --run-dir from its last checkpoint")
    p.add_argument("--model", default="default", help="'default', a Hugging Face id, a model folder or a run folder")
    _add_allow_pickle(p)
    add_setting_flags(p)


def _add_inference(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict labels for texts or a whole file")
    p.add_argument("texts", nargs="*")
    p.add_argument("--model", default="default")
    p.add_argument("--data", help="file to predict row by row")
    p.add_argument("--output", help="CSV to write with --data")
    _add_columns(p, label=False)
    p.add_argument("--label-column", help="with --data: column of true labels; adds the scores to the summary "
                                          "(guessed when a column holds only the model's labels)")
    p.add_argument("--no-escape-formulas", dest="escape_formulas", action="store_false",
                   help="with --data: write cells starting with = + - @ as they are (default: prefix them with ' so "
                        "spreadsheets do not run them as formulas; plain numbers are never changed)")
    p.add_argument("--similar", type=int, metavar="K", help="with a run's model (--model RUN): add the K most similar "
                                                             "training examples to each text")
    _add_allow_pickle(p)

    p = sub.add_parser("index", help="write a run's similar-examples index (runs trained before it existed)")
    p.add_argument("run_dir")
    p.add_argument("--max-rows", type=int, default=50_000, help="training rows to index at most (a seeded sample)")
    _add_allow_pickle(p)

    p = sub.add_parser("evaluate", help="score a model on a labelled file, or a run on its validation set")
    p.add_argument("data", nargs="?", help="labelled file (with --run: default the run's own validation rows)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="'default', a model folder, a run or a hub id (needs DATA)")
    which.add_argument("--run", help="a run folder: its saved model, truncating at the run's max_length")
    p.add_argument("--threshold", type=float, help="two classes: predict the second label when its probability "
                                                     ">= T (default 0.5); multi-label: choose every label at T "
                                                     "instead of its tuned threshold")
    p.add_argument("--misclassified", type=int, default=0, metavar="N", help="add the N most confident mistakes")
    p.add_argument("--output", metavar="FILE.json", help="write the full result here (probabilities, texts, "
                                                          "threshold curve); stdout gets the summary")
    p.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"],
                   help="autocast precision (default: the run's own with --run, so its scores are reproduced; "
                        "else auto = bf16 where the device has native bf16)")
    _add_columns(p)
    _add_allow_pickle(p)

    p = sub.add_parser("describe", help="architecture facts of a model")
    p.add_argument("--model", default="default")
    _add_allow_pickle(p)


def _add_attention(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--view", choices=["head", "neuron", "grid", "aggregates", "stats"], default="grid",
                   help="figure for --export-html/--export-png (head uses the first --layer/--head); with "
                        "--export-html, head and neuron write the interactive head view (lines, every head of the "
                        "layer) or neuron view (query/key vectors) as one offline file, their PNG is the head heatmap")
    p.add_argument("--export-html", metavar="FILE", help="write the --view figure as standalone offline HTML")
    p.add_argument("--export-png", metavar="FILE", help="write the --view figure as PNG")
    _add_allow_pickle(p)


def _add_runs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("resume", help="continue a stopped, failed or killed run from its newest intact checkpoint")
    p.add_argument("run_dir")
    _add_allow_pickle(p)
    p = sub.add_parser("retry", help="after out-of-memory: halve the batch, double accumulation, train again")
    p.add_argument("run_dir")
    _add_allow_pickle(p)
    _add_runs_admin(sub)
    p = sub.add_parser("stop", help="ask a running run to stop (it saves a model)")
    p.add_argument("run_dir")


def _add_runs_admin(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list run folders; diff, rm, tag or rename runs",
                       description="runs [list] | runs diff A B | runs rm RUN --yes | runs tag RUN --add T --remove T"
                                   " | runs rename RUN NAME. RUN is a run id in the runs folder or a run folder's path.")
    p.add_argument("action", nargs="?", default="list", choices=("list", "diff", "rm", "tag", "rename"),
                   help="what to do (default: list)")
    p.add_argument("targets", nargs="*", metavar="RUN", help="run ids or run folders (rename: RUN NAME)")
    p.add_argument("--root", default=None, help="the runs folder (default: $TUNESCOPE_RUNS, else ./runs)")
    p.add_argument("--yes", action="store_true", help="rm: really delete the run folder, model and checkpoints")
    p.add_argument("--add", nargs="+", action="extend", default=[], metavar="TAG", help="tag: tags to add")
    p.add_argument("--remove", nargs="+", action="extend", default=[], metavar="TAG", help="tag: tags to remove")


def _add_share(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a run's one-file offline HTML report")
    p.add_argument("run_dir", metavar="RUN")
    p.add_argument("--output", metavar="FILE.html", help="where to write it (default: RUN/report.html)")
    _add_allow_pickle(p)
    p = sub.add_parser("export", help="export a run's model: a Hugging Face zip, or ONNX checked against PyTorch")
    p.add_argument("run_dir", metavar="RUN")
    p.add_argument("--format", choices=("zip", "onnx"), default="zip",
                   help="zip: the model folder and card; onnx: model.onnx + tokenizer + config (needs the onnx extra)")
    p.add_argument("--output", metavar="FILE.zip", help="where to write it (default: ./<run-id>.zip, ./<run-id>-onnx.zip)")
    _add_allow_pickle(p)
