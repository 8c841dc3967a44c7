"""How the job records a failed run: one sentence, an ``error_kind`` and what to do (NaN loss, out of memory, a full
disk mid-checkpoint or while saving ``model/``); resume works after a full disk."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.errors import RunError
from core.job import run_training
from core.training.saving import SaveFailed
from tests.core.training.test_training import kinds, make_run


def test_nan_loss_stops_with_message(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from core.training.trainer import WeightedTrainer

    original = WeightedTrainer.compute_loss

    def nan_loss(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        return (result[0] * float("nan"), result[1]) if isinstance(result, tuple) else result * float("nan")

    monkeypatch.setattr(WeightedTrainer, "compute_loss", nan_loss)
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), max_steps=20)
    with pytest.raises(RunError, match="loss became nan"):
        run_training(run_dir)
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and status["error_kind"] == "non_finite_loss"
    assert "Lower the learning rate" in status["message"]
    assert kinds(runs.read_events(run_dir))[-1] == "failed"
    assert max(e["step"] for e in runs.read_events(run_dir) if e["event"] == "step") == 1


def test_out_of_memory_fails_with_retry_hint(tmp_path: Path, tiny_models: Any, sentiment_csv: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import torch
    from transformers import BertForSequenceClassification

    @functools.wraps(BertForSequenceClassification.forward)  # the Trainer reads the forward signature
    def oom(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(BertForSequenceClassification, "forward", oom)
    run_dir = make_run(tmp_path, sentiment_csv, tiny_models("bert"), batch_size=8, gradient_accumulation_steps=2)
    with pytest.raises(torch.cuda.OutOfMemoryError):
        run_training(run_dir)
    status = runs.read_status(run_dir)
    assert status["state"] == "failed" and status["error_kind"] == "out_of_memory"
    assert status["retry"] == {"batch_size": 4, "gradient_accumulation_steps": 4}
    assert "retry with batch size 4 and gradient accumulation 4" in status["message"]
    config = runs.apply_smaller_batch(run_dir)
    assert (config.train.batch_size, config.train.gradient_accumulation_steps) == (4, 4)
    assert runs.load_config(run_dir).train.batch_size == 4


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
