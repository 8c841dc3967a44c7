"""``python -m core compress RUN --method int8|distil [--layers 3]``: a smaller, faster run from a finished one.

``int8`` writes the 8-bit run at once (scoring it on the parent's validation rows, with a progress bar);
``distil`` creates the student run and trains it in this process, as ``train`` does (progress lines on stderr,
Ctrl-C or SIGTERM stop it cleanly). Both then measure the new run against its parent on this machine (a bar)
and print the side-by-side as JSON; ``--no-measure`` leaves that out, ``compress RUN --measure`` alone measures
an existing compressed run again. Options: ``CompressOptions``. The work is ``core.compress``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import job, runs
from core.cli.active_commands import progress_bar
from core.cli.options import ALLOW_PICKLE, ROOT
from core.compress import METHODS, compress_run, compressed_from, side_by_side
from core.compress.create import DEFAULT_LAYERS
from core.errors import ConfigError
from core.settings import setting
from core.training.stopping import stop_signal


@dataclass(kw_only=True)
class CompressOptions:
    """``compress RUN --method int8|distil``: an 8-bit copy or a distilled student of a finished run."""

    run: str = setting(positional=True, metavar="RUN", help="a finished run: its id in the runs folder or its folder")
    method: str | None = setting(None, choices=METHODS, optional=True,
                                 help="int8: PyTorch dynamic 8-bit quantization for CPU serving (ready at once); "
                                      "distil: train a student with fewer layers on the run's data and its soft "
                                      "labels (a normal training run)")
    layers: int = setting(DEFAULT_LAYERS, minimum=1, maximum=128, metavar="N",
                          help="distil: the student's transformer layers, taken evenly from the teacher's")
    epochs: str = setting("auto", metavar="N|auto",
                          help="distil: the student's epochs; auto trains until the validation metric stops improving")
    measure: bool = setting(True, negated_flag="--no-measure",
                            help="measure the new run against its parent (accuracy, latency, size); with RUN a "
                                 "compressed run and no --method, measure it again")
    root: str | None = setting(None, ROOT)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


def cmd_compress(args: argparse.Namespace) -> Any:
    run_dir = runs.find_run(args.run, args.root)
    if args.method is None:
        if compressed_from(run_dir) is None:
            raise ConfigError("Choose --method int8 or --method distil (or give a compressed run to measure it again).")
        return side_by_side(run_dir, progress=progress_bar("measuring"), again=True)
    root = Path(args.root) if args.root else run_dir.resolve().parent
    folder = compress_run(run_dir, args.method, root, layers=args.layers, epochs=args.epochs,
                          progress=progress_bar("scoring the 8-bit model"))
    result: dict[str, Any] = {"run_id": folder.name, "method": args.method, "parent": run_dir.name}
    if args.method == "distil":
        with stop_signal():  # this process trains the student: SIGTERM means a clean stop
            result.update(job.run_training(folder))
        if result.get("state") != "finished":
            return result
    if args.measure:
        result["compared"] = side_by_side(folder, progress=progress_bar("measuring against the parent"))
    return result


COMPRESS_COMMANDS = {"compress": cmd_compress}
