"""``python -m core compare DATA --candidates default default@setfit ... --epochs 1``: candidate models and
recipes trained on the same data with one budget, then one table and a recommendation; ``comparisons [ID]`` lists
comparisons or shows one (measuring its finished candidates on this machine).

Every run setting's flag is taken (``core.cli.settings``) and shared by the candidates; the budget is ``--epochs
N`` or ``--time-budget MINUTES``. The candidates train one after the other in this process (progress lines on
stderr; Ctrl-C or SIGTERM stops the running one and the rest are left unstarted). Options:
``CompareOptions``, ``ComparisonsOptions``. The work is ``core.compare``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from core import job, runs
from core.cli.options import ALLOW_PICKLE, ROOT, TRAINING_FILE
from core.cli.settings import config_from_args
from core.compare import (
    Budget,
    comparison_result,
    create_comparison,
    list_comparisons,
    parse_candidate,
    recommendation_sentence,
)
from core.errors import ConfigError
from core.settings import setting
from core.training.stopping import stop_requested, stop_signal


@dataclass(kw_only=True)
class CompareOptions:
    """``compare``'s own options; every run setting's flag comes from ``core.config`` (``core.cli.settings``)."""

    data: str = setting(like=TRAINING_FILE, positional=True)
    candidates: list[str] = setting([], metavar="MODEL@RECIPE",
                                    help="2 to 8 candidates: a model ('default', 'smollm2', a hub id, a folder, a run "
                                         "folder) and a recipe (finetune, lora or setfit; finetune when left out), "
                                         "e.g. default default@setfit default@lora")
    root: str | None = setting(None, ROOT)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class ComparisonsOptions:
    """``comparisons [ID]``: list comparisons, or show one."""

    comparison: str | None = setting(None, positional=True, metavar="ID", help="a comparison id: show its table")
    root: str | None = setting(None, ROOT)


def budget_of(args: argparse.Namespace) -> Budget:
    """The budget from ``--time-budget`` (minutes) or a number of ``--epochs``."""
    if getattr(args, "time_budget", None):
        return Budget(minutes=int(args.time_budget))
    if isinstance(args.epochs, int | float) or str(args.epochs).replace(".", "", 1).isdigit():
        return Budget(epochs=float(args.epochs))
    raise ConfigError("A comparison gives every candidate one budget: --epochs N or --time-budget MINUTES.")


def cmd_compare(args: argparse.Namespace) -> Any:
    config = config_from_args(argparse.Namespace(**vars(args), model="default"))  # each candidate names its own
    candidates = [parse_candidate(text) for text in args.candidates]
    record = create_comparison(config.data, candidates, budget_of(args), args.root, base=config.train)
    root = runs.runs_root(args.root)
    print(f"comparison {record['id']}: {len(candidates)} candidates, each a run tagged compare:{record['id']}",
          file=sys.stderr, flush=True)
    with stop_signal():
        for entry in record["runs"]:
            print(f"candidate {entry['label']}: run {entry['run_id']}", file=sys.stderr, flush=True)
            summary = job.run_training(root / entry["run_id"])
            if summary.get("state") == "stopped" or stop_requested(root / entry["run_id"]):
                break
    result = comparison_result(record["id"], root)
    print(recommendation_sentence(result), file=sys.stderr, flush=True)
    return result


def cmd_comparisons(args: argparse.Namespace) -> Any:
    if args.comparison:
        result = comparison_result(args.comparison, args.root)
        print(recommendation_sentence(result), file=sys.stderr, flush=True)
        return result
    return [{"id": r["id"], "created_at": r.get("created_at"), "data": r.get("data"), "budget": r.get("budget"),
             "candidates": [e.get("candidate") for e in r["runs"]]} for r in list_comparisons(args.root)]


COMPARE_COMMANDS = {"compare": cmd_compare, "comparisons": cmd_comparisons}
