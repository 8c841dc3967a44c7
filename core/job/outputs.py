"""A trained run's final outputs: ``model/``, ``config.json``, ``metrics.json`` and the model card, then the index.

Written by the job (rank 0 only) from what the recipe returned (``core.training.outcome.Trained``):
``model/`` all at once (``core.training.saving``), then what the run resolved, its final scores and its
card. The similar-examples index (``core.inference.similar``) comes after the final status, so the run and
its model are usable while it is built. The probabilities are calibrated first (``core.job.calibrate``: a
temperature fitted on the validation rows, folded into the model), between the recipe's result and these writes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from core import runs
from core.config import RunConfig
from core.inference.similar import build_index, index_folder, progress_lines
from core.job.calibrate import calibrate
from core.job.recipe import Recipe
from core.runs.card import write_model_card
from core.training.outcome import Trained
from core.training.saving import SaveFailed, save_model_folder
from core.training.stopping import stop_requested


def how_trained(config: RunConfig, recipe: Recipe) -> str:
    """How the model was made, for the card: the recipe's words, after the pre-training stage when it ran."""
    if config.distil:  # a student (core.training.distil)
        return (f"distilled from run {config.distil.get('parent', '?')} into a {config.distil.get('layers')}-layer "
                "student, trained on its soft labels and the data's labels")
    return recipe.how if config.train.pretrain == "off" else f"pre-trained on unlabelled text, then {recipe.how}"


def save_outputs(trained: Trained, config: RunConfig, run_dir: Path, how: str) -> None:
    """Write ``model/`` (whole or not at all), ``config.json``, ``metrics.json`` and the card (``README.md``)."""
    paths = runs.RunPaths(run_dir)
    calibrate(trained, config)
    save_model_folder(trained.model, trained.tokenizer, paths.model)
    config.save(paths.config)  # what the recipe resolved while training (SetFit's head, for one)
    try:
        runs.write_json(paths.metrics, trained.report)
        write_model_card(run_dir, config, trained.report, how)
    except OSError as exc:
        raise SaveFailed("metrics.json and README.md", exc) from exc


def write_index(run_dir: Path, frame: Any = None, stopped: bool | None = None) -> None:
    """The similar-examples index of the saved model (``core.inference.similar``), with progress lines.

    Optional: a stopped run gets none (an older index is removed, as it describes an older model), and
    a failure is a note in the log, not a failed run; ``python -m core index RUN`` builds it later.
    """
    later = f"build it later with `python -m core index {run_dir}`"
    if stop_requested(run_dir) if stopped is None else stopped:  # the final status already removed STOP
        shutil.rmtree(index_folder(run_dir), ignore_errors=True)
        print(f"note: stopped, so no similar-examples index: {later}.", file=sys.stderr, flush=True)
        return
    try:
        build_index(run_dir, frame, progress=progress_lines())
    except Exception as exc:  # the model is saved: an index that could not be written never fails the run
        print(f"note: no similar-examples index ({type(exc).__name__}: {exc}): {later}.", file=sys.stderr, flush=True)
