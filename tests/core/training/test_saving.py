"""A full disk while saving: the previous checkpoint stays intact, the run fails with one sentence, resume works."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.errors import RunError
from core.job import run_training
from core.training.saving import SaveFailed, save_model_folder
from tests.core.training.test_training import make_run

NO_SPACE = OSError(errno.ENOSPC, "No space left on device")


def _fail_torch_save_in(monkeypatch: pytest.MonkeyPatch, checkpoint: str, name: str) -> None:
    """``torch.save`` of ``checkpoint/name`` writes half the file, then the disk is full."""
    import io

    import torch

    original = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> Any:
        path = Path(str(f))
        if path.name == name and path.parent.name == checkpoint:
            buffer = io.BytesIO()
            original(obj, buffer, *args, **kwargs)
            path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)


def test_disk_full_mid_checkpoint_keeps_the_previous_one_and_resumes(
        tmp_path: Path, tiny_models: Any, sentiment_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    with monkeypatch.context() as patch:
        _fail_torch_save_in(patch, "checkpoint-6", "optimizer.pt")
        with pytest.raises(SaveFailed):
            run_training(run_dir)
    expected = ("The disk is full (No space left on device) while saving checkpoint-6, which is left half-written "
                "and is skipped on resume: checkpoint-3 is intact, so free some space and resume the run from it.")
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and status["error_kind"] == "disk_full"
    assert status["message"] == expected
    last = runs.read_events(run_dir)[-1]
    assert last["event"] == "failed" and last["message"] == expected and last["error_kind"] == "disk_full"
    assert runs.checkpoint_problem(run_dir / "checkpoints" / "checkpoint-3") is None
    assert runs.checkpoint_problem(run_dir / "checkpoints" / "checkpoint-6") == "optimizer.pt is truncated"
    assert not (run_dir / "model").exists()

    summary = run_training(run_dir, resume=True)
    assert summary["state"] == "finished" and summary["resumed_from_step"] == 3 and summary["global_step"] == 6
    assert summary["resume_note"] == "checkpoint-6 is damaged (optimizer.pt is truncated): resuming from checkpoint-3."
    assert (run_dir / "model" / "model.safetensors").exists()


def test_disk_full_while_saving_the_model_leaves_no_half_model(
        tmp_path: Path, tiny_models: Any, sentiment_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import PreTrainedModel

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    original = PreTrainedModel.save_pretrained

    def save_pretrained(self: Any, folder: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(folder).name == "model.partial":
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / "config.json").write_text("{}")
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, folder, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(PreTrainedModel, "save_pretrained", save_pretrained)
        with pytest.raises(RunError):
            run_training(run_dir)
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and status["error_kind"] == "disk_full"
    assert status["message"] == ("The disk is full (No space left on device) while saving model/: checkpoint-6 is "
                                 "intact, so free some space and resume the run from it.")
    assert not (run_dir / "model").exists() and not (run_dir / "model.partial").exists()

    summary = run_training(run_dir, resume=True)  # the training was done: only the outputs are written now
    assert summary["state"] == "finished" and summary["global_step"] == 6 == summary["total_steps"]
    steps = [e["step"] for e in runs.read_events(run_dir) if e["event"] == "step"]
    assert steps == list(range(1, 7))  # no extra training step after the last one
    assert (run_dir / "model" / "model.safetensors").exists() and (run_dir / "metrics.json").exists()


class _Saver:
    """A model or tokenizer whose ``save_pretrained`` writes one file, or fails half-way with a full disk."""

    def __init__(self, name: str, fail: bool = False) -> None:
        self.name, self.fail = name, fail

    def save_pretrained(self, folder: Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / self.name).write_text("new")
        if self.fail:
            raise OSError(errno.ENOSPC, "No space left on device")


def test_model_folder_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_text("old")
    with pytest.raises(SaveFailed, match="Saving model/ failed: No space left on device"):
        save_model_folder(_Saver("weights"), _Saver("tokenizer", fail=True), target)
    assert [p.name for p in tmp_path.iterdir()] == ["model"] and (target / "weights").read_text() == "old"
    save_model_folder(_Saver("weights"), _Saver("tokenizer"), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert sorted(p.name for p in target.iterdir()) == ["tokenizer", "weights"]
    assert (target / "weights").read_text() == "new"


def test_other_save_errors_name_their_cause(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from core.training.saving import save_error_kind, save_failure_message

    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"))
    failed = SaveFailed("checkpoint-3", OSError(errno.EROFS, "Read-only file system"))
    assert save_error_kind(failed) == "save_failed"
    assert save_failure_message(failed, run_dir) == (
        "Saving failed (Read-only file system) while saving checkpoint-3, which is left half-written and is skipped "
        "on resume: there is no intact checkpoint yet, so fix that and start the run again.")
    assert save_error_kind(ValueError("not a save")) is None
    try:
        raise RuntimeError("wrapped") from NO_SPACE
    except RuntimeError as wrapped:
        assert save_error_kind(wrapped) == "disk_full"
