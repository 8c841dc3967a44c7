"""``python -m core next RUN [POOL] --batch 50``: the unlabelled rows a finished run would learn most from.

The pool is a file of texts (any format ``inspect`` reads; its text column named with ``--text-column`` or found)
or, without POOL, the rows of the run's training file that have no label. The model's pass over the pool shows a
progress bar on stderr; the ranked rows (rank, pool row, text, the model's guess, uncertainty, one ``p:<label>``
column per label) are printed as JSON, or written with ``--output`` as CSV with formula-like cells escaped. Its
options are ``core.cli.run_options.NextOptions``. Leaves out the ranking (``core.active``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import runs
from core.active import COLD_START, rank_pool, read_pool, training_pool
from core.inference.csvfile import escape_frame, write_csv


def progress_bar(what: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` drawing one bar on stderr (a new line when done)."""
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(1, total)
        if percent == shown[0]:
            return
        shown[0] = percent
        bar = "#" * (percent // 4)
        end = "\n" if done >= total else ""
        print(f"\r{what} [{bar:<25}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return progress


def cmd_next(args: argparse.Namespace) -> Any:
    run_dir = runs.find_run(args.run, args.root)
    config = runs.load_config(run_dir)
    pool = read_pool(args.pool, config, args.text_column) if args.pool else training_pool(config)
    table = rank_pool(run_dir, pool, batch=args.batch, method=args.method, diverse=args.diversity, seed=args.seed,
                      progress=progress_bar("ranking the pool"))
    if table.attrs.get("cold_start"):
        print(f"note: {COLD_START}", file=sys.stderr, flush=True)
    if not args.output:
        return table.to_dict("records")
    frame = table.copy()
    frame["guess"] = frame["guess"].map(lambda guess: ";".join(guess) if isinstance(guess, list) else guess)
    write_csv(escape_frame(frame), Path(args.output))
    return {"output": str(args.output), "rows": len(table), "run": run_dir.name, "pool": pool.source,
            "pool_rows": len(pool)}


ACTIVE_COMMANDS = {"next": cmd_next}
