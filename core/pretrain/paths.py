"""Where a run's pre-training stage keeps its files: the ``pretrain/`` subfolder of the run folder.

``pretrain/checkpoints/`` holds the stage's Trainer checkpoints and ``pretrain/model/`` the adapted model
with its language-model head (written all at once when the stage ends). Only names and existence are
decided here; writing them is ``core.pretrain.stage``.
"""

from __future__ import annotations

from pathlib import Path

from core.runs.folder import RunPaths

STAGE = "pretrain"


def stage_paths(run_dir: str | Path) -> RunPaths:
    """The ``pretrain/`` subfolder's files: ``checkpoints/`` and ``model/`` as in a run folder."""
    return RunPaths(Path(run_dir) / STAGE)


def adapted_model(run_dir: str | Path) -> Path | None:
    """``pretrain/model/`` of a run whose pre-training stage finished, else None."""
    folder = stage_paths(run_dir).model
    return folder if (folder / "config.json").is_file() else None
