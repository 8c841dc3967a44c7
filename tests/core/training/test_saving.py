"""Saving a run's files: ``model/`` is replaced whole or not at all, and a failed save's sentence and ``error_kind``.

A whole run failing on a full disk (and resuming) is tested with the job (tests/core/job/test_failures.py)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from core.training.saving import SaveFailed, save_model_folder
from tests.core.training.test_training import make_run

NO_SPACE = OSError(errno.ENOSPC, "No space left on device")


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
