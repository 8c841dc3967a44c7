"""The options of the commands that manage runs and sweeps or correct labels (resume, retry, stop, runs,
report, export, sweep, sweeps, suspects, next), declared once as settings dataclasses.

As in ``core.cli.options`` (which declares the shared ``--allow-pickle``, ``--model``, ``--root`` and
the run folder argument): each field is one argument, derived by ``core.cli.flags``. ``sweep`` also
takes every run setting's flag (``core.cli.settings``) for what it does not search.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.active.rank import MAX_BATCH, METHODS
from core.cli.options import ALLOW_PICKLE, MODEL, ROOT, RUN_FOLDER, TRAINING_FILE
from core.config import TEXT_COLUMN
from core.labels.scores import SOURCES
from core.settings import setting
from core.sweep import DEFAULT_SPACE, SEARCHABLE

RUNS_USAGE = {"list": ("runs [--root R]", 0), "show": ("runs show RUN", 1), "diff": ("runs diff A B", 2),
              "rm": ("runs rm RUN --yes", 1),
              "tag": ("runs tag RUN --add T --remove T", 1), "rename": ("runs rename RUN NAME", 2)}  # and RUNs taken
RUNS_ACTIONS = tuple(RUNS_USAGE)
SWEEPS_ACTIONS = ("list", "status", "stop")
SHOWN = 20  # suspects printed as JSON without --top or --out


@dataclass(kw_only=True)
class RunFolderOptions:
    """``resume`` and ``retry``: a run folder, whose model may need ``--allow-pickle``."""

    run_dir: str = setting(like=RUN_FOLDER)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class StopOptions:
    run_dir: str = setting(like=RUN_FOLDER)


@dataclass(kw_only=True)
class RunsOptions:
    action: str = setting("list", positional=True, choices=RUNS_ACTIONS, help="what to do (default: list)")
    targets: list[str] = setting([], positional=True, metavar="RUN", help="run ids or run folders (rename: RUN NAME)")
    root: str | None = setting(None, ROOT)
    yes: bool = setting(False, help="rm: really delete the run folder, model and checkpoints")
    add: list[str] = setting([], repeatable=True, metavar="TAG", help="tag: tags to add")
    remove: list[str] = setting([], repeatable=True, metavar="TAG", help="tag: tags to remove")


@dataclass(kw_only=True)
class ReportOptions:
    run_dir: str = setting(like=RUN_FOLDER, metavar="RUN")
    output: str | None = setting(None, metavar="FILE.html", help="where to write it (default: RUN/report.html)")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class ExportOptions:
    run_dir: str = setting(like=RUN_FOLDER, metavar="RUN")
    format: str = setting("zip", choices=("zip", "onnx"), help="zip: the model folder and card; onnx: model.onnx + "
                                                               "tokenizer + config (needs the onnx extra)")
    output: str | None = setting(None, metavar="FILE.zip", help="where to write it (default: ./<run-id>.zip, "
                                                                 "./<run-id>-onnx.zip)")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class SweepOptions:
    """``sweep``'s own options; every run setting's flag comes from ``core.config`` (``core.cli.settings``)."""

    data: str | None = setting(None, TRAINING_FILE, positional=True)
    trials: int | None = setting(None, help="trials this worker runs (with several workers: each runs N)")
    timeout: float | None = setting(None, metavar="SECONDS",
                                    help="time budget: no trial starts after it (the running one finishes)")
    space: list[str] | None = setting(None, metavar="NAME=RANGE",
                                      help=f"searched settings ({', '.join(SEARCHABLE)}) as low:high, low:high:log "
                                           f"or a,b,c; only these are searched (default: {DEFAULT_SPACE})")
    storage: str | None = setting(None, metavar="URL", help="Optuna database URL shared by workers, e.g. "
                                                            "sqlite:///sweep.db (default: a SQLite file in the sweep "
                                                            "folder)")
    study: str | None = setting(None, metavar="NAME", help="study name; workers giving the same --storage and --study "
                                                           "join one search (default: a new sweep id)")
    root: str | None = setting(None, ROOT, help="runs folder for the trials' runs and the sweep folder (default: "
                                                "$TUNESCOPE_RUNS, else ./runs)")
    sweep_dir: str | None = setting(None, help="drive an existing sweep folder: what the app spawns, or continue a "
                                               "sweep (more trials of the same study)")
    model: str = setting("default", MODEL)


@dataclass(kw_only=True)
class SweepsOptions:
    action: str = setting("list", positional=True, choices=SWEEPS_ACTIONS, help="what to do (default: list)")
    sweep_id: str | None = setting(None, positional=True, metavar="SWEEP", help="a sweep id (status, stop)")
    root: str | None = setting(None, ROOT)


@dataclass(kw_only=True)
class SuspectsOptions:
    run: str = setting(positional=True, metavar="RUN", help="a run id in the runs folder or a run folder's path")
    root: str | None = setting(None, ROOT)
    top: int | None = setting(None, metavar="N", help=f"only the N most suspect rows (default: all with --out, else "
                                                      f"{SHOWN})")
    out: str | None = setting(None, metavar="FILE.csv", help="write the list as CSV (formula-like cells escaped)")
    source: str | None = setting(None, choices=SOURCES, help="probabilities to score: the final model's pass over the "
                                                             "rows (default, measured best), the training dynamics, "
                                                             "or their mean")
    drop_top: int = setting(0, metavar="N", help="drop the N most suspect rows")
    relabel_top: int = setting(0, metavar="N", help="give the next N suspect rows the model's suggested label")
    drop: list[int] = setting([], repeatable=True, metavar="ROW", help="rows to drop")
    relabel: list[str] = setting([], repeatable=True, metavar="ROW=LABEL",
                                 help="rows to relabel (multi-label: ROW='a;b', or ROW= for none)")
    retrain: bool = setting(False, help="train a new run on the corrected rows (same settings; records the changes "
                                        "in its data_changes.json)")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class NextOptions:
    """``next RUN [POOL]``: the pool rows a finished run would learn most from, to label next."""

    run: str = setting(positional=True, metavar="RUN", help="a finished run: its id in the runs folder or its folder")
    pool: str | None = setting(None, positional=True, metavar="POOL",
                               help="a file of unlabelled texts, any format `inspect` reads (default: the rows of "
                                    "the run's training file that have no label)")
    batch: int = setting(50, minimum=1, maximum=MAX_BATCH, metavar="N", help="how many rows to pick")
    method: str = setting("margin", choices=METHODS, help="uncertainty: margin between the two likeliest labels "
                                                          "(default), entropy, or random (the baseline); multi-label "
                                                          "runs use each label's distance to its threshold")
    diversity: bool = setting(True, negated_flag="--no-diversity",
                              help="pick the batch from clusters of the most uncertain rows (default) rather than "
                                   "the most uncertain rows alone")
    text_column: str | None = setting(None, TEXT_COLUMN, help="the pool file's column of texts (default: the run's "
                                                              "text column if the file has it, else detected)")
    seed: int = setting(0, minimum=0, help="seed of the clustering (and of random)")
    output: str | None = setting(None, metavar="FILE.csv", help="write the ranked rows as CSV (formula-like cells "
                                                                 "escaped) instead of JSON on stdout")
    root: str | None = setting(None, ROOT)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)
