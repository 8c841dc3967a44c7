"""A tiny finished run with hostile names (labels, text column, folder name), shared by the report and export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

HOSTILE_TEXT = "<script>alert(1)</script> hostile review"
HOSTILE_LABEL = "<b>bad</b>"
TEXT_COLUMN = "<i>review</i>"


def write_reviews(path: Path) -> Path:
    good = ["great film", "loved it", "wonderful acting", "a joy to watch", "brilliant and moving"]
    bad = ["awful film", "hated it", "terrible acting", "a chore to watch", "dull and lifeless"]
    rows = [f"{t} {i},good" for t in good for i in range(4)] + [f"{t} {i},{HOSTILE_LABEL}" for t in bad for i in range(4)]
    rows += [f'"{HOSTILE_TEXT} {i}",good' for i in range(4)]
    path.write_text(f"{TEXT_COLUMN},sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def make_tiny_run(folder: Path, model: Path) -> Path:
    """Train ``model`` for 6 steps on the hostile reviews; the run folder is ``folder/'run <b>1'``."""
    from core import job
    from core.config import DataSettings, RunConfig, TrainSettings
    from core.job import run_training

    data = write_reviews(folder / "reviews.csv")
    config = RunConfig(data=DataSettings(train_file=str(data), text_column=TEXT_COLUMN, label_column="sentiment",
                                         val_fraction=0.3),
                       model=str(model), train=TrainSettings(max_steps=6, batch_size=4, logging_steps=1, eval_steps=3,
                                                             max_length=64))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_CACHE", str(folder / "cache"))
        run_dir = job.create_run(config, run_dir=folder / "run <b>1")
        assert run_training(run_dir)["state"] == "finished"
    return run_dir
