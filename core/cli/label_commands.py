"""``python -m core suspects RUN``: the training rows whose label is probably wrong, and acting on them.

``suspects RUN [--top N] [--out FILE.csv]`` lists the suspects (JSON on stdout, or a CSV with
formula-like cells escaped as ``predict --output`` does); ``--drop-top N``, ``--relabel-top N``,
``--drop ROW ...`` and ``--relabel ROW=LABEL ...`` choose changes, written as a corrected copy of the
training rows, and with ``--retrain`` a new run with the same settings is trained on it in this process
(as ``train`` does). Its options are in ``core.cli.run_options``. Leaves out the scoring and the files
(``core.labels``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core import job, runs
from core.cli.run_options import SHOWN
from core.errors import TuneScopeError
from core.inference.csvfile import escape_frame, write_csv
from core.labels import find_suspects
from core.labels.fixes import corrected_data, retrain, top_changes
from core.labels.suspects import SOURCE, run_rows
from core.training.stopping import stop_signal


def _relabels(items: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for item in items:
        row, sep, label = item.partition("=")
        if not sep or not row.strip().isdigit():
            raise TuneScopeError(f"--relabel takes ROW=LABEL, e.g. 12=positive (got '{item[:40]}').")
        out[int(row)] = label
    return out


def cmd_suspects(args: argparse.Namespace) -> Any:
    run_dir = runs.find_run(args.run, args.root)
    changing = bool(args.drop_top or args.relabel_top or args.drop or args.relabel)
    if args.retrain and not changing:
        raise TuneScopeError("--retrain needs changes: --drop-top N, --relabel-top N, --drop ROW or --relabel ROW=LABEL.")
    source = args.source or SOURCE
    if changing:
        return _change(args, run_dir, find_suspects(run_dir, source=source) if args.drop_top or args.relabel_top
                       else None)
    top = args.top if args.top is not None or args.out else SHOWN
    table = find_suspects(run_dir, top=top, source=source)
    if not args.out:
        return table.to_dict("records")

    write_csv(escape_frame(table), Path(args.out))
    return {"output": str(args.out), "rows": len(table), "run": run_dir.name, "source": source}


def _change(args: argparse.Namespace, run_dir: Any, table: Any) -> Any:
    drop, relabel = top_changes(table, args.drop_top, args.relabel_top) if table is not None else ([], {})
    drop = list(dict.fromkeys([*drop, *args.drop]))
    relabel.update(_relabels(args.relabel))
    if not args.retrain:
        fixed = corrected_data(run_rows(run_dir), drop, relabel)
        return {**fixed.changes, "train_file": str(fixed.train_file), "val_file": str(fixed.val_file)}

    root = Path(args.root) if args.root else run_dir.resolve().parent
    folder = root / retrain(run_dir, drop, relabel, runs_root=root, start=False)
    with stop_signal():
        summary = job.run_training(folder)
    return {"run_id": folder.name, "changes": runs.read_json(folder / "data_changes.json"), **summary}


LABEL_COMMANDS = {"suspects": cmd_suspects}
