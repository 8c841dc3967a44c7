"""The ``python -m core`` argument parser, built from declarations: one table row per command.

Each :class:`Command` names its options class (``core.cli.options``, ``core.cli.run_options``), whose
fields ``core.cli.flags`` turns into arguments; ``train`` and ``sweep`` also take every run setting's
flag (``core.cli.settings``, from ``core.config``). Nothing here declares a flag, a default or a help text
of its own. Adding a command means a row here, an options class and the function in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from typing import NamedTuple

from core.cli.compare_commands import CompareOptions, ComparisonsOptions
from core.cli.compress_commands import CompressOptions
from core.cli.flags import add_flags
from core.cli.options import (
    AttentionOptions,
    DedupeOptions,
    DescribeOptions,
    EvaluateOptions,
    FillOptions,
    IndexOptions,
    InspectOptions,
    PredictOptions,
    TrainOptions,
)
from core.cli.run_options import (
    ExportOptions,
    NextOptions,
    ReportOptions,
    RunFolderOptions,
    RunsOptions,
    StopOptions,
    SuspectsOptions,
    SweepOptions,
    SweepsOptions,
)
from core.cli.settings import add_setting_flags


class Parser(argparse.ArgumentParser):
    """argparse with one ``error:`` line and exit code 2 on bad usage (no usage dump)."""

    def error(self, message: str) -> None:
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


class Command(NamedTuple):
    """One command: its name, options class and help; ``one_of`` options form a required either-or group."""

    name: str
    options: type
    help: str
    description: str | None = None
    run_settings: bool = False
    one_of: tuple[str, ...] = ()


COMMAND_TABLE = (
    Command("inspect", InspectOptions, "read a labelled file and report columns, labels and problems"),
    Command("dedupe", DedupeOptions, "copy a labelled file without its repeated texts (case, spaces and full-width "
                                     "forms aside), keeping the first row of each"),
    Command("train", TrainOptions, "fine-tune a model; writes a run folder", run_settings=True),
    Command("predict", PredictOptions, "predict labels for texts or a whole file"),
    Command("index", IndexOptions, "write a run's similar-examples index (runs trained before it existed)"),
    Command("evaluate", EvaluateOptions, "score a model on a labelled file, or a run on its validation set",
            one_of=("model", "run")),
    Command("describe", DescribeOptions, "architecture facts of a model"),
    Command("attention", AttentionOptions, "attention weights for one text (exact, eager attention)"),
    Command("fill", FillOptions, "top-k tokens for each [MASK] (encoders) or for the next token (decoders)",
            "Fill-mask for models with a masked-LM head, next-token prediction for decoders. A run whose "
            "pre-training stage finished uses its pre-trained model."),
    Command("resume", RunFolderOptions, "continue a stopped, failed or killed run from its newest intact checkpoint"),
    Command("retry", RunFolderOptions, "after out-of-memory: halve the batch, double accumulation, train again"),
    Command("runs", RunsOptions, "list run folders; show, diff, rm, tag or rename runs",
            "runs [list] | runs show RUN | runs diff A B | runs rm RUN --yes | runs tag RUN --add T --remove T | "
            "runs rename RUN NAME. RUN is a run id in the runs folder or a run folder's path."),
    Command("stop", StopOptions, "ask a running run to stop (it saves a model)"),
    Command("report", ReportOptions, "write a run's one-file offline HTML report"),
    Command("export", ExportOptions, "export a run's model: a Hugging Face zip, or ONNX checked against PyTorch"),
    Command("sweep", SweepOptions, "hyper-parameter search with Optuna: each trial a run, poor trials pruned",
            "Search learning rate, epochs, batch size, warm-up and dropout; every other setting is taken from the "
            "usual train flags.", run_settings=True),
    Command("sweeps", SweepsOptions, "list sweeps, show one sweep's trials, or stop a sweep"),
    Command("suspects", SuspectsOptions, "training rows whose label is probably wrong; drop or relabel them and retrain",
            "List a finished or stopped run's training rows by how likely their label is wrong (given label, the "
            "model's suggestion, its confidence, a score), or correct them and train again."),
    Command("next", NextOptions, "rank unlabelled texts by how much a label would teach a finished run",
            "Rank a pool of unlabelled texts (a file, or the training file's rows without a label) by the model's "
            "uncertainty balanced with diversity, and print the rows to label next with the model's guess and "
            "probabilities."),
    Command("compress", CompressOptions, "make a finished run small and fast: an 8-bit copy or a distilled student",
            "int8: PyTorch dynamic quantization of the linear layers, for CPU serving, ready at once. distil: a "
            "student with fewer layers of the same model, trained on the run's data and its soft labels. Both make "
            "a new run and measure it against its parent: accuracy, single-text latency, size."),
    Command("compare", CompareOptions, "train candidate models and recipes on the same data with one budget and "
                                       "compare them", "Each candidate (MODEL@RECIPE) is a run; the table gives "
            "validation accuracy and macro-F1, training time, single-text latency, throughput and size, the best "
            "trade-offs and a recommendation. Every train flag is shared by the candidates; the budget is --epochs "
            "N or --time-budget MINUTES.", run_settings=True),
    Command("comparisons", ComparisonsOptions, "list model comparisons, or show one's table"),
)
OPTIONS = {command.name: command.options for command in COMMAND_TABLE}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m core", description="TuneScope headless CLI (JSON on stdout).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMAND_TABLE:
        p = sub.add_parser(command.name, help=command.help, description=command.description)
        add_flags(p, command.options, skip=command.one_of)
        if command.one_of:
            add_flags(p.add_mutually_exclusive_group(required=True), command.options, only=command.one_of)
        if command.run_settings:
            add_setting_flags(p)
    return parser
