"""Run folders driven as child processes: stop, kill -9 and resume, OOM retry, torchrun, a real fine-tune."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.plots.training import current_attempt
from tests.polling import CEILING, poll_until

ROOT = Path(__file__).resolve().parents[3]


def make_run(tmp_path: Path, data: Path, model: Path, **train: Any) -> Path:
    settings = {"max_steps": 30, "batch_size": 4, "logging_steps": 1, "eval_steps": 5, **train}
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(model),
                       train=TrainSettings(**settings))
    return job.create_run(config, run_dir=tmp_path / "run")


def wait_event(run_dir: Path, kind: str) -> dict[str, Any]:
    """The first ``kind`` event of the run, polled for (a loaded machine only makes it come later)."""
    tail = runs.EventTail(run_dir)

    def found() -> dict[str, Any] | None:
        for event in tail.read_new():
            if event["event"] == kind:
                return event
        assert runs.read_status(run_dir)["state"] not in runs.FINAL_STATES, (run_dir / "train.log").read_text()
        return None

    return poll_until(found, f"no {kind} event", step=0.05)


def write_checkpoint(folder: Path, step: int) -> None:
    """A small checkpoint with every file resume reads, each readable (not one the Trainer could train on)."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    save_file({"weight": torch.zeros(2, 2)}, str(folder / "model.safetensors"))
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
        torch.save({"state": {}, "step": step}, folder / name)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))


SLOW_STEPS = {"TUNESCOPE_STEP_DELAY": "0.15"}  # keeps a tiny child run busy long enough to act on it


def test_kill_9_then_resume_finishes(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    pid = runs.start_run(run_dir, extra_env=SLOW_STEPS)
    checkpoint = wait_event(run_dir, "checkpoint")
    os.kill(pid, signal.SIGKILL)
    status = poll_until(lambda: (s := runs.read_status(run_dir))["state"] == "interrupted" and s, "not interrupted")
    assert status["state"] == "interrupted" and "resume" in status["message"]
    assert [r["state"] for r in runs.list_runs(tmp_path)] == ["interrupted"]
    runs.resume_run(run_dir)
    final = runs.wait_for(run_dir, timeout=CEILING)
    assert final["state"] == "finished", (run_dir / "train.log").read_text()[-2000:]
    assert final["global_step"] == final["total_steps"] == 30
    events = runs.read_events(run_dir)
    resumed = [e for e in events if e["event"] == "started"][-1]
    assert resumed["resumed_from_step"] >= checkpoint["step"]  # lost at most one checkpoint interval
    steps = [e["step"] for e in current_attempt(events) if e["event"] == "step"]
    assert steps == list(range(1, 31))
    assert (run_dir / "model" / "config.json").exists()


def test_stop_file_in_child_saves_model(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from transformers import pipeline

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), eval_steps=100)
    runs.start_run(run_dir, extra_env=SLOW_STEPS)
    wait_event(run_dir, "step")
    assert runs.request_stop(run_dir)["state"] == "stopping"
    final = runs.wait_for(run_dir, timeout=CEILING)
    assert final["state"] == "stopped" and final["global_step"] < 30
    assert pipeline("text-classification", model=str(run_dir / "model"))("great")[0]["label"] in (
        "positive", "negative")
    assert runs.read_events(run_dir)[-1]["event"] == "stopped"


def test_smaller_batch_arithmetic() -> None:
    assert runs.smaller_batch(32, 1) == {"batch_size": 16, "gradient_accumulation_steps": 2}
    assert runs.smaller_batch(5, 3) == {"batch_size": 2, "gradient_accumulation_steps": 6}
    with pytest.raises(runs.RunError, match="already 1"):
        runs.smaller_batch(1, 4)


@pytest.mark.parametrize("has_checkpoint", [False, True])
def test_retry_smaller_batch_rewrites_and_restarts(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                                    monkeypatch: pytest.MonkeyPatch, has_checkpoint: bool) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), batch_size=16, gradient_accumulation_steps=2)
    runs.write_status(run_dir, "failed", error_kind="out_of_memory")
    if has_checkpoint:
        write_checkpoint(run_dir / "checkpoints" / "checkpoint-5", 5)
    calls: list[tuple[Path, bool]] = []
    monkeypatch.setattr(runs.process, "start_run", lambda folder, resume=False, extra_env=None: calls.append(
        (Path(folder), resume)) or 1)
    assert runs.retry_smaller_batch(run_dir) == run_dir.resolve()
    config = runs.load_config(run_dir)
    assert (config.train.batch_size, config.train.gradient_accumulation_steps) == (8, 4)
    assert calls == [(run_dir.resolve(), has_checkpoint)]


def test_cli_resume_command(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=4, eval_steps=2)
    assert main(["train", "--run-dir", str(run_dir)]) == 0
    shutil.rmtree(run_dir / "checkpoints" / "checkpoint-4")
    shutil.rmtree(run_dir / "model")
    assert main(["resume", str(run_dir)]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.rindex('{\n  "run_dir"'):])
    assert summary["resumed_from_step"] == 2 and summary["global_step"] == 4
    assert runs.read_status(run_dir)["global_step"] == 4
    assert [e["resumed_from_step"] for e in runs.read_events(run_dir) if e["event"] == "started"] == [0, 2]


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    from transformers import pipeline

    run_dir = tmp_path / "ddp"
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--nproc_per_node", "2", "--master_port", "29533", "-m", "core", "train",
               str(sentiment_csv), "--output", str(run_dir), "--model", str(tiny_models("bert")),
               "--max-steps", "6", "--batch-size", "4", "--eval-steps", "3", "--device", "cpu"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUNESCOPE_CHILD": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    events = runs.read_events(run_dir)
    assert [e["event"] for e in events].count("started") == 1  # rank 0 only
    assert [e["event"] for e in events].count("finished") == 1
    assert len([e for e in events if e["event"] == "step"]) == 6
    resolved = runs.load_config(run_dir).resolved
    assert resolved["world_size"] == 2 and resolved["effective_batch_size"] == 8
    assert runs.read_status(run_dir)["state"] == "finished"
    assert pipeline("text-classification", model=str(run_dir / "model"))("loved it")[0]["label"] in (
        "positive", "negative")


@pytest.mark.slow
def test_real_minilm_beats_chance_on_sst2(tmp_path: Path, sst2: Path) -> None:
    import pandas as pd

    from core.job import run_training

    train = pd.read_csv(sst2 / "train.csv").sample(n=320, random_state=0)
    train_csv = tmp_path / "train.csv"
    train.to_csv(train_csv, index=False)
    config = RunConfig(data=DataSettings(train_file=str(train_csv), val_file=str(sst2 / "dev.csv")),
                       train=TrainSettings(epochs=3, batch_size=16, learning_rate=1e-4, seed=42, eval_steps=60))
    summary = run_training(job.create_run(config, run_dir=tmp_path / "real"))
    assert summary["state"] == "finished"
    assert summary["metrics"]["accuracy"] > 0.6
