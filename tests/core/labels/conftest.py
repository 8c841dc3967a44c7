"""Two real tiny runs trained once per session (single-label and multi-label), copied before a test changes one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from core import job
from core.config import DataSettings, RunConfig, TrainSettings

WORDS = ["great film", "loved it", "wonderful acting", "awful film", "hated it", "terrible acting"]
TOPICS = {"billing": "my card was charged twice", "bug": "the app crashes on start", "refund": "send my money back"}


def reviews(path: Path) -> Path:
    rows = [f"{text} {i},{'positive' if k < 3 else 'negative'}" for i in range(5) for k, text in enumerate(WORDS)]
    rows += ["=SUM(A1:A2) great film,positive", "+cmd loved it,positive", "@x awful film,negative",
             "=1+2 hated it,negative"]  # formula-like texts: escaped in the CSV out
    path.write_text("review,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def tickets(path: Path) -> Path:
    names, lines = list(TOPICS), ["text,labels"]
    for i in range(40):
        chosen = [names[i % 3]] + ([names[(i + 1) % 3]] if i % 4 == 0 else [])
        lines.append(f"{' and '.join(TOPICS[n] for n in chosen)} ticket {i},{';'.join(chosen)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _train(data: Path, folder: Path, model: Path) -> Path:
    from core.job import run_training

    train = TrainSettings(max_steps=6, batch_size=4, logging_steps=1, eval_steps=3, learning_rate=1e-3, device="cpu")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model), train=train)
    run_dir = job.create_run(config, run_dir=folder)
    assert run_training(run_dir)["state"] == "finished"
    return run_dir


@pytest.fixture(scope="session")
def labelled_runs(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("labels")
    model = tiny_models("bert")
    return {"single": _train(reviews(base / "reviews.csv"), base / "runs" / "20260101-000000-reviews", model),
            "multi": _train(tickets(base / "tickets.csv"), base / "runs" / "20260101-000001-tickets", model)}


@pytest.fixture
def run_copy(labelled_runs: dict[str, Path], tmp_path: Path):
    """``run_copy(kind)``: a copy of a trained run inside ``tmp_path/runs`` (no checkpoints)."""

    def copy(kind: str) -> Path:
        source = labelled_runs[kind]
        return Path(shutil.copytree(source, tmp_path / "runs" / source.name, ignore=shutil.ignore_patterns("checkpoints")))

    return copy
