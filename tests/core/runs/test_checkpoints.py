"""Resume uses the newest intact checkpoint: real checkpoints of a tiny run, damaged in several ways."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    """A finished tiny run with checkpoint-3 and checkpoint-6 (trained once for the module)."""
    from core.job import run_training

    folder = tmp_path_factory.mktemp("trained")
    data = folder / "reviews.csv"
    rows = [f"great film number {i},positive" for i in range(16)] + [f"awful film number {i},negative" for i in range(16)]
    data.write_text("review,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(tiny_models("bert")),
                       train=TrainSettings(max_steps=6, batch_size=4, logging_steps=1, eval_steps=3))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_CACHE", str(folder / "cache"))
        run_dir = job.create_run(config, run_dir=folder / "run")
        assert run_training(run_dir)["state"] == "finished"
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["checkpoint-3", "checkpoint-6"]
    return run_dir


@pytest.fixture
def run_copy(trained: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not what torch.save writes\n" * 40)


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated weights": (lambda c: _truncate(c / "model.safetensors"), "model.safetensors is truncated"),
    "weights header garbage": (lambda c: _garbage(c / "model.safetensors"), "model.safetensors is corrupt"),
    "garbage optimizer": (lambda c: _garbage(c / "optimizer.pt"), "optimizer.pt is corrupt"),
    "truncated optimizer": (lambda c: _truncate(c / "optimizer.pt"), "optimizer.pt is truncated"),
    "empty scheduler": (lambda c: (c / "scheduler.pt").write_bytes(b""), "scheduler.pt is empty"),
    "no rng state": (lambda c: (c / "rng_state.pth").unlink(), "rng_state.pth is missing"),
    "no trainer state": (lambda c: (c / "trainer_state.json").unlink(), "trainer_state.json is missing"),
    "broken trainer state": (lambda c: (c / "trainer_state.json").write_text('{"global_step": 6, "log_hi'),
                             "trainer_state.json is not valid JSON"),
    "no weights": (lambda c: (c / "model.safetensors").unlink(), "model.safetensors is missing"),
}


def test_intact_checkpoints_pass_the_check(trained: Path) -> None:
    for name in ("checkpoint-3", "checkpoint-6"):
        assert runs.checkpoint_problem(trained / "checkpoints" / name) is None
    point = runs.find_resume_point(trained)
    assert point.checkpoint == trained / "checkpoints" / "checkpoint-6" and point.note is None


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_newest_checkpoint_is_skipped_by_name(run_copy: Path, damage: str) -> None:
    harm, problem = DAMAGE[damage]
    newest = run_copy / "checkpoints" / "checkpoint-6"
    harm(newest)
    assert runs.checkpoint_problem(newest) == problem
    assert runs.last_checkpoint(run_copy) == run_copy / "checkpoints" / "checkpoint-3"
    point = runs.resume_point(run_copy)
    assert point.note == f"checkpoint-6 is damaged ({problem}): resuming from checkpoint-3."
    assert point.to_list() == [{"checkpoint": "checkpoint-6", "problem": problem}]


def test_no_intact_checkpoint_is_one_sentence(run_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _truncate(run_copy / "checkpoints" / "checkpoint-6" / "model.safetensors")
    (run_copy / "checkpoints" / "checkpoint-3" / "optimizer.pt").write_bytes(b"")
    expected = ("no intact checkpoint to resume from (checkpoint-6 is damaged (model.safetensors is truncated) and "
                "checkpoint-3 is damaged (optimizer.pt is empty)): start a new run instead.")
    assert runs.last_checkpoint(run_copy) is None
    with pytest.raises(runs.RunError) as info:
        runs.resume_point(run_copy)
    assert str(info.value) == f"Run {run_copy.name} has {expected}"
    assert main(["resume", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: Run run has no intact checkpoint")


def test_resume_skips_the_damaged_checkpoint_and_says_so(run_copy: Path) -> None:
    from core.job import run_training

    _truncate(run_copy / "checkpoints" / "checkpoint-6" / "model.safetensors")
    shutil.rmtree(run_copy / "model")
    runs.write_status(run_copy, "failed", message="killed")
    summary = run_training(run_copy, resume=True)
    note = "checkpoint-6 is damaged (model.safetensors is truncated): resuming from checkpoint-3."
    assert summary["state"] == "finished" and summary["resumed_from_step"] == 3 and summary["global_step"] == 6
    assert summary["resume_note"] == note
    assert summary["skipped_checkpoints"] == [{"checkpoint": "checkpoint-6", "problem": "model.safetensors is truncated"}]
    skipped = [e for e in runs.read_events(run_copy) if e["event"] == "checkpoint_skipped"]
    assert [e["message"] for e in skipped] == [note] and skipped[0]["resume_from"] == "checkpoint-3"
    assert runs.checkpoint_problem(run_copy / "checkpoints" / "checkpoint-6") is None  # written again
    assert (run_copy / "model" / "model.safetensors").exists()


def test_resume_refuses_a_finished_run_without_checkpoints_and_an_active_run(
        run_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(run_copy / "checkpoints")
    assert main(["resume", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert err == "error: Run run finished and has no checkpoint to resume from: start a new run to train again.\n"
    runs.write_status(run_copy, "running")  # this test process plays the live training child
    for command in (["resume", str(run_copy)], ["retry", str(run_copy)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Run run is still running" in err
    with pytest.raises(runs.RunError, match="still running: stop it first"):
        runs.resume_run(run_copy)
    assert json.loads((run_copy / "status.json").read_text())["state"] == "running"


def test_retry_with_only_damaged_checkpoints_starts_again(run_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs.write_status(run_copy, "failed", error_kind="out_of_memory")
    for name in ("checkpoint-3", "checkpoint-6"):
        (run_copy / "checkpoints" / name / "trainer_state.json").unlink()
    calls: list[bool] = []
    monkeypatch.setattr(runs.process, "start_run", lambda folder, resume=False, extra_env=None: calls.append(resume))
    runs.retry_smaller_batch(run_copy)
    assert calls == [False]
