"""The training child's job on a tiny fine-tuning run: a stop request ends it 'stopped' with a usable model, and a
resume continues from the newest intact checkpoint with clean curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.job import run_training
from core.plots.training import current_attempt
from tests.core.training.test_training import kinds, make_run


def test_stop_file_saves_usable_model(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=30, eval_steps=10)
    append = runs.append_event

    def stop_at_step_4(folder: Any, event: dict[str, Any]) -> None:
        append(folder, event)
        if event.get("event") == "step" and event["step"] == 4:
            runs.request_stop(folder)

    monkeypatch.setattr(runs, "append_event", stop_at_step_4)
    summary = run_training(run_dir)
    assert summary["state"] == "stopped" and summary["global_step"] == 5  # seen at the next step end
    assert runs.read_status(run_dir)["state"] == "stopped" and not (run_dir / "STOP").exists()
    assert kinds(runs.read_events(run_dir))[-5:] == ["stopping", "step", "eval", "checkpoint", "stopped"]
    from transformers import pipeline

    assert pipeline("text-classification", model=str(run_dir / "model"))("great film")[0]["label"] in (
        "positive", "negative")


def test_resume_continues_and_curves_stay_clean(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=8, eval_steps=3)
    run_training(run_dir)
    # pretend the process died after step 5 (checkpoint-3 is the newest usable one): drop later files
    import shutil

    for name in ("checkpoint-6", "checkpoint-8"):
        shutil.rmtree(run_dir / "checkpoints" / name, ignore_errors=True)
    shutil.rmtree(run_dir / "model")
    summary = run_training(run_dir, resume=True)
    assert summary["resumed_from_step"] == 3 and summary["global_step"] == 8
    events = current_attempt(runs.read_events(run_dir))
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == sorted(set(steps)) == list(range(1, 9))
