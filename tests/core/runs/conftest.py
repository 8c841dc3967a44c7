"""Fixtures for the run-management tests: two real tiny runs trained once, copied before a test changes one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import job
from core.config import DataSettings, RunConfig, TrainSettings

WORDS = ["great film", "loved it", "wonderful acting", "awful film", "hated it", "terrible acting"]


def write_reviews(path: Path) -> Path:
    rows = [f"{text} {i},{'positive' if k < 3 else 'negative'}" for i in range(4) for k, text in enumerate(WORDS)]
    path.write_text("review,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> dict[str, Path]:
    """Two finished tiny runs in one runs folder: 'a' (lr 1e-4, best by f1_macro) and 'b' (lr 5e-4, by eval_loss).

    Shared by the session: tests copy them (``copy_run``) before changing anything.
    """
    from core.job import run_training

    base = tmp_path_factory.mktemp("trained")
    data = write_reviews(base / "reviews.csv")
    found = {}
    for key, rate, metric in (("a", 1e-4, "f1_macro"), ("b", 5e-4, "eval_loss")):
        train = TrainSettings(max_steps=6, batch_size=4, logging_steps=1, eval_steps=3, learning_rate=rate,
                              metric_for_best_model=metric, device="cpu")
        config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(tiny_models("bert")),
                           train=train)
        run_dir = job.create_run(config, run_dir=base / "runs" / f"20260101-00000{len(found)}-reviews-{key}")
        assert run_training(run_dir)["state"] == "finished"
        found[key] = run_dir
    return found


@pytest.fixture
def copy_run() -> Callable[..., Path]:
    """``copy_run(run_dir, root, name=None)``: a copy of a trained run (without checkpoints) inside ``root``."""

    def copy(run_dir: Path, root: Path, name: str | None = None) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copytree(run_dir, root / (name or run_dir.name),
                                    ignore=shutil.ignore_patterns("checkpoints")))

    return copy
