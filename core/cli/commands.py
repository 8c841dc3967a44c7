"""What each ``python -m core`` command does: read its parsed arguments, call core, return JSON data.

Each command calls the same core functions the UI calls. Errors are raised as typed core errors;
``core.cli.main`` prints them as one ``error:`` line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from core import job, runs
from core.cli.active_commands import ACTIVE_COMMANDS
from core.cli.compare_commands import COMPARE_COMMANDS
from core.cli.compress_commands import COMPRESS_COMMANDS
from core.cli.fill_commands import FILL_COMMANDS
from core.cli.label_commands import LABEL_COMMANDS
from core.cli.model_commands import MODEL_COMMANDS
from core.cli.run_options import RUNS_USAGE
from core.cli.settings import config_from_args
from core.cli.sweep_commands import SWEEP_COMMANDS
from core.data import Columns, inspect_file
from core.data.dedupe import copy_name, drop_duplicates
from core.data.readable import unreadable_sentence
from core.errors import TuneScopeError
from core.runs import request_stop, require_run
from core.runs.remove import check_removable, folder_bytes
from core.training.stopping import stop_signal


def cmd_inspect(args: argparse.Namespace) -> Any:
    columns = Columns(args.text_column, args.label_column, args.text_pair_column, args.multi_label)
    return inspect_file(args.data, columns, model=args.model, max_length=args.max_length, val_path=args.val_data)


def cmd_dedupe(args: argparse.Namespace) -> Any:
    source = Path(args.data)
    output = Path(args.output) if args.output else source.with_name(copy_name(source.name))
    if source.exists() and output.resolve() == source.resolve():
        raise TuneScopeError("--output must name a new file: dedupe never overwrites the file it reads.")
    columns = Columns(args.text_column, args.label_column, args.text_pair_column, args.multi_label)
    summary = drop_duplicates(source, output, columns, args.conflicting)
    return {**summary, "output": str(output) if summary["written"] else None}


def cmd_train(args: argparse.Namespace) -> Any:

    if args.run_dir:
        with stop_signal():  # this process is a training process: SIGTERM means a clean stop
            return job.run_training(args.run_dir, resume=args.resume)
    if not args.data:
        raise TuneScopeError("train needs a labelled data file (or --run-dir of an existing run).")
    config = config_from_args(args)
    config.apply_model_defaults()  # the embedded decoder trains LoRA adapters unless told otherwise
    run_dir = Path(args.output) if args.output else None
    if job.is_main_process():
        run_dir = job.create_run(config, run_dir=run_dir)
        found = config.resolved.get("readability") or {}
        if found.get("unreadable"):  # trained anyway, as --allow-unreadable confirmed: said, never silent
            print(f"warning: {unreadable_sentence(found)}", file=sys.stderr, flush=True)
    else:  # other ranks of torchrun / accelerate wait for rank 0 to write the folder
        if run_dir is None:
            raise TuneScopeError("With several processes, give --output so every rank uses the same run folder.")
        while not runs.RunPaths(run_dir).status.exists():
            time.sleep(0.2)
    with stop_signal():
        return job.run_training(run_dir)


def cmd_resume(args: argparse.Namespace) -> Any:

    runs.check_resumable(args.run_dir)  # not a run, still active, nothing intact to resume: one sentence
    with stop_signal():
        return job.run_training(args.run_dir, resume=True)


def cmd_retry(args: argparse.Namespace) -> Any:

    runs.require_run(args.run_dir)
    runs.apply_smaller_batch(args.run_dir)
    with stop_signal():
        return job.run_training(args.run_dir, resume=runs.last_checkpoint(args.run_dir) is not None)


def cmd_runs(args: argparse.Namespace) -> Any:
    usage, count = RUNS_USAGE[args.action]
    if len(args.targets) != count:
        raise TuneScopeError(f"runs {args.action} takes {count or 'no'} argument{'s' * (count != 1)} after "
                             f"'{args.action}' (got {len(args.targets)}): python -m core {usage}")
    if (args.add or args.remove) and args.action != "tag":
        raise TuneScopeError("--add and --remove go with `python -m core runs tag RUN`.")
    if args.action == "list":
        return runs.list_runs(args.root)
    found = [runs.find_run(target, args.root) for target in args.targets[:2 if args.action == "diff" else 1]]
    if args.action == "diff":
        return runs.diff_runs(*found)
    if args.action == "show":  # the run's catalog line: state, step, training time, time left (core.runs.progress)
        return runs.run_summary(runs.require_run(found[0]))
    if args.action == "rename":
        return runs.rename_run(found[0], args.targets[1])
    if args.action == "tag":
        return runs.tag_run(found[0], args.add, args.remove) if args.add or args.remove else runs.read_meta(
            runs.require_run(found[0]))
    target = check_removable(found[0], args.root)
    if not args.yes:
        raise TuneScopeError(f"This deletes run {target.name} ({folder_bytes(target) / 1e6:.1f} MB: its model and "
                             "checkpoints) for good: add --yes to delete it.")
    return runs.remove_run(target, args.root)


def cmd_stop(args: argparse.Namespace) -> Any:
    return request_stop(require_run(args.run_dir))


COMMANDS = {
    "inspect": cmd_inspect, "dedupe": cmd_dedupe, "train": cmd_train, "runs": cmd_runs, "stop": cmd_stop, "resume": cmd_resume,
    "retry": cmd_retry, **MODEL_COMMANDS, **SWEEP_COMMANDS, **FILL_COMMANDS,
    **LABEL_COMMANDS, **ACTIVE_COMMANDS, **COMPRESS_COMMANDS, **COMPARE_COMMANDS,
}
