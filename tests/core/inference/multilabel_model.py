"""A tiny multi-label model folder and a small multi-label file, shared by the multi-label inference tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tiny import make_tiny_model

LABELS = ["anger", "fear", "joy"]
THRESHOLDS = {"anger": 0.45, "fear": 0.5, "joy": 0.55}
ROWS = [("what a lovely sunny day", "joy"), ("i am furious and scared", "anger;fear"),
        ("this makes me so angry", "anger"), ("nothing much happened today", ""),
        ("so happy yet a little afraid", "fear;joy"), ("the dark alley frightens me", "fear"),
        ("great news, i am thrilled", "joy"), ("angry, afraid and somehow glad", "anger;fear;joy")]


def make_multilabel_model(folder: Path, labels: list[str] | None = None, thresholds: dict[str, float] | None = None,
                          family: str = "bert", seed: int = 0) -> Path:
    """A tiny random ``family`` classifier saved as a multi-label model (problem_type, id2label, label_thresholds)."""
    labels = labels or LABELS
    make_tiny_model(folder, family, labels=labels, seed=seed)
    path = Path(folder) / "config.json"
    config = json.loads(path.read_text())
    config["problem_type"] = "multi_label_classification"
    config["label_thresholds"] = dict(THRESHOLDS if thresholds is None else thresholds)
    path.write_text(json.dumps(config, indent=2))
    return Path(folder)


def write_emotions(path: Path, layout: str = "semicolon") -> Path:
    """:data:`ROWS` as a CSV whose label column is ``a;b`` (semicolon), ``a|b`` (pipe) or a JSON list (json)."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "emotions"])
        for text, labels in ROWS:
            names = [name for name in labels.split(";") if name]
            cell = {"semicolon": ";".join(names), "pipe": "|".join(names), "json": json.dumps(names)}[layout]
            writer.writerow([text, cell])
    return path


TOPICS = {"sport": ["match", "goal", "team", "coach", "league"], "food": ["bread", "soup", "spice", "cook", "meal"],
          "tech": ["chip", "code", "laptop", "robot", "server"]}


def write_topics(path: Path, rows: int = 90) -> Path:
    """``rows`` short texts, each about one or two of :data:`TOPICS` (labels joined by ``;``), of varied length."""
    import csv

    names = list(TOPICS)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topics"])
        for i in range(rows):
            chosen = [names[i % 3]] + ([names[(i + 1 + i // 3) % 3]] if i % 2 else [])
            chosen = sorted(set(chosen), key=names.index)
            words = [TOPICS[topic][(i + j) % 5] for topic in chosen for j in range(1 + i % 4)]
            writer.writerow([" ".join(words) + f" number {i}", ";".join(chosen)])
    return path


def make_multilabel_run(folder: Path, base_model: Path, steps: int = 40) -> Path:
    """Train ``base_model`` for ``steps`` steps on :func:`write_topics` (multi-label); the run is ``folder/run``."""
    import pytest

    from core import job
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.job import run_training

    config = RunConfig(data=DataSettings(train_file=str(write_topics(folder / "topics.csv")), val_fraction=0.3),
                       model=str(base_model),
                       train=TrainSettings(max_steps=steps, batch_size=8, learning_rate=1e-2, eval_steps=steps // 2,
                                           logging_steps=steps // 2, max_length=16, device="cpu"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_CACHE", str(folder / "cache"))
        run_dir = job.create_run(config, run_dir=folder / "run")
        assert run_training(run_dir)["state"] == "finished"
    return run_dir
