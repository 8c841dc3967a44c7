"""The options of the commands that read data or use a model (inspect, dedupe, train, predict, index, evaluate,
describe, attention, fill), declared once as settings dataclasses.

Each field is one argument: its type is the annotation, its flag, default, choices, bounds and help the
``core.settings.Spec`` (``core.cli.flags`` turns them into argparse arguments and back into checked
values). What other commands or a run share is declared once and reused with ``setting(default, SPEC,
...)``: the column choice, ``--multi-label``, ``--max-length`` and ``--precision`` from ``core.config``,
``--allow-pickle``, ``--model`` and ``--root`` here. The run-management, sweep and label commands'
options are ``core.cli.run_options``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.attention.extract import ATTENTION_MAX_LENGTH
from core.config import (
    DEFAULT_MAX_LENGTH,
    LABEL_COLUMN,
    MAX_LENGTH,
    MULTI_LABEL,
    PRECISION,
    TEXT_COLUMN,
    TEXT_PAIR_COLUMN,
    DataSettings,
)
from core.data.dedupe import CONFLICTING
from core.inference.fill import MAX_TOP
from core.inference.similar import MAX_ROWS
from core.settings import Spec, setting, spec_of

ALLOW_PICKLE = Spec(help="admin only: load models whose only weights are pickle (pytorch_model.bin), which can run "
                         "code; sets TUNESCOPE_ALLOW_PICKLE=1 for this process")
MODEL = Spec(help="'default', a Hugging Face id, a model folder or a run folder")
ROOT = Spec(help="the runs folder (default: $TUNESCOPE_RUNS, else ./runs)")
RUN_FOLDER = Spec(positional=True, help="a run folder")
TRAINING_FILE = spec_of(DataSettings, "train_file")


@dataclass(kw_only=True)
class InspectOptions:
    data: str = setting(like=TRAINING_FILE, positional=True, help="labelled file to inspect")
    text_column: str | None = setting(None, TEXT_COLUMN)
    text_pair_column: str | None = setting(None, TEXT_PAIR_COLUMN)
    label_column: str | None = setting(None, LABEL_COLUMN)
    model: str | None = setting(None, MODEL, help="'default', a model folder, a run or a hub id: adds the token-length "
                                                  "report (default: none)")
    max_length: int = setting(DEFAULT_MAX_LENGTH, MAX_LENGTH, minimum=1, maximum=None,
                              help="max_length to report truncation against")
    val_data: str | None = setting(None, help="validation file: adds its labels and its overlap with the training data")
    multi_label: str = setting("auto", MULTI_LABEL)


@dataclass(kw_only=True)
class DedupeOptions:
    data: str = setting(like=TRAINING_FILE, positional=True, help="labelled file to copy without its repeated texts")
    output: str | None = setting(None, metavar="FILE.csv", help="the copy to write (default: DATA's folder, "
                                                                "<name>-no-duplicates.csv)")
    conflicting: str = setting("keep", choices=CONFLICTING, help="a text given different labels: keep its first row of "
                                                                 "each label (default), or drop all its rows")
    text_column: str | None = setting(None, TEXT_COLUMN)
    text_pair_column: str | None = setting(None, TEXT_PAIR_COLUMN)
    label_column: str | None = setting(None, LABEL_COLUMN)
    multi_label: str = setting("auto", MULTI_LABEL)


@dataclass(kw_only=True)
class TrainOptions:
    """``train``'s own options; every run setting's flag comes from ``core.config`` (``core.cli.settings``)."""

    data: str | None = setting(None, TRAINING_FILE, positional=True)
    output: str | None = setting(None, help="run folder to create (default: runs/<id>)")
    run_dir: str | None = setting(None, help="train an existing run folder (what the app spawns)")
    resume: bool = setting(False, help="continue --run-dir from its last checkpoint")
    model: str = setting("default", MODEL)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class PredictOptions:
    texts: list[str] = setting([], positional=True, help="texts to classify")
    model: str = setting("default", MODEL)
    data: str | None = setting(None, help="file to predict row by row")
    output: str | None = setting(None, help="CSV to write with --data")
    text_column: str | None = setting(None, TEXT_COLUMN)
    text_pair_column: str | None = setting(None, TEXT_PAIR_COLUMN)
    label_column: str | None = setting(None, LABEL_COLUMN, help="with --data: column of true labels; adds the scores "
                                                                "to the summary (guessed when a column holds only the "
                                                                "model's labels)")
    escape_formulas: bool = setting(True, negated_flag="--no-escape-formulas",
                                    help="with --data: write cells starting with = + - @ as they are (default: prefix "
                                         "them with ' so spreadsheets do not run them as formulas; plain numbers are "
                                         "never changed)")
    similar: int | None = setting(None, minimum=1, metavar="K", help="with a run's model (--model RUN): add the K most "
                                                                      "similar training examples to each text")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class IndexOptions:
    run_dir: str = setting(like=RUN_FOLDER)
    max_rows: int = setting(MAX_ROWS, minimum=1, help="training rows to index at most (a seeded sample)")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class EvaluateOptions:
    """``--model`` and ``--run`` are one required choice (the command table makes them a group)."""

    data: str | None = setting(None, TRAINING_FILE, positional=True,
                               help="labelled file (with --run: default the run's own validation rows)")
    model: str | None = setting(None, MODEL, help="'default', a model folder, a run or a hub id (needs DATA)")
    run: str | None = setting(None, help="a run folder: its saved model, truncating at the run's max_length")
    threshold: float | None = setting(None, help="two classes: predict the second label when its probability >= T "
                                                 "(default 0.5); multi-label: choose every label at T instead of its "
                                                 "tuned threshold")
    misclassified: int = setting(0, minimum=0, metavar="N", help="add the N most confident mistakes")
    output: str | None = setting(None, metavar="FILE.json", help="write the full result here (probabilities, texts, "
                                                                  "threshold curve); stdout gets the summary")
    precision: str | None = setting(None, PRECISION, help="autocast precision (default: the run's own with --run, so "
                                                          "its scores are reproduced; else auto = bf16 where the "
                                                          "device has native bf16)")
    text_column: str | None = setting(None, TEXT_COLUMN)
    text_pair_column: str | None = setting(None, TEXT_PAIR_COLUMN)
    label_column: str | None = setting(None, LABEL_COLUMN)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class DescribeOptions:
    model: str = setting("default", MODEL)
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class AttentionOptions:
    text: str = setting(positional=True, help="the text")
    text_pair: str | None = setting(None, help="the second text, for sentence-pair models")
    model: str = setting("default", MODEL)
    output: str | None = setting(None, help="write the JSON here instead of stdout")
    max_length: int = setting(ATTENTION_MAX_LENGTH, MAX_LENGTH, minimum=1, maximum=None)
    layer: list[int] | None = setting(None, help="keep only these layers (0-based) in the output")
    head: list[int] | None = setting(None, help="keep only these heads (0-based) in the output")
    precision: int | None = setting(None, help="round weights to N decimals (default: exact)")
    rollout: bool = setting(False, help="add attention rollout [layers][T][T]")
    head_stats: bool = setting(False, help="add per-head entropy and mean distance [layers][heads]")
    head_importance: bool = setting(False, help="add the probability change when each head is masked")
    attributions: bool = setting(False, help="add integrated-gradients token attributions")
    target_label: str | None = setting(None, help="class (name or index) to attribute; default: predicted")
    view: str = setting("grid", choices=("head", "neuron", "grid", "aggregates", "stats"),
                        help="figure for --export-html/--export-png (head uses the first --layer/--head); with "
                             "--export-html, head and neuron write the interactive head view (lines, every head of the "
                             "layer) or neuron view (query/key vectors) as one offline file, their PNG is the head "
                             "heatmap")
    export_html: str | None = setting(None, metavar="FILE", help="write the --view figure as standalone offline HTML")
    export_png: str | None = setting(None, metavar="FILE", help="write the --view figure as PNG")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)


@dataclass(kw_only=True)
class FillOptions:
    model: str = setting(like=MODEL, positional=True, help="'default', 'smollm2', a model folder, a run folder or a "
                                                           "hub id")
    text: str = setting(positional=True, help="the text; encoders need [MASK] where they should guess a word")
    top: int = setting(5, help=f"how many tokens to list (1-{MAX_TOP})")
    allow_pickle: bool = setting(False, ALLOW_PICKLE)
