"""Saving a run's files so a failed save (a full disk) never costs the last good state, and the one
sentence such a run ends with.

The Trainer writes each checkpoint in place, file by file, and rotates old checkpoints only after a
save succeeded: a save that fails leaves the previous checkpoint intact and the new one half-written,
which ``core.runs.checkpoints`` recognises and skips on resume. ``model/`` is written to a
``model.partial`` folder and renamed into place, so it is either the complete old model, the complete
new one, or absent, never half a model that prediction would load.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import Any

from core.errors import RunError
from core.files import partial_of, swap_folder
from core.runs.checkpoints import last_checkpoint

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class SaveFailed(RunError):
    """Writing ``what`` (a checkpoint, ``model/``, a result file) failed with an ``OSError``."""

    def __init__(self, what: str, error: OSError) -> None:
        self.what = what
        self.error = error
        super().__init__(f"Saving {what} failed: {error.strerror or error}.")


def save_model_folder(model: Any, tokenizer: Any, target: Path) -> None:
    """``save_pretrained`` model and tokenizer into ``target`` all at once (written aside, then renamed)."""
    target = Path(target)
    partial = partial_of(target)
    shutil.rmtree(partial, ignore_errors=True)
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)  # give the space back; the previous model/ is untouched
        raise SaveFailed(f"{target.name}/", exc) from exc
    swap_folder(partial, target)


def _os_error(exc: BaseException) -> OSError | None:
    """The ``OSError`` behind ``exc`` (itself, a :class:`SaveFailed`'s, or one in its cause chain)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, SaveFailed):
            return current.error
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def save_error_kind(exc: BaseException) -> str | None:
    """'disk_full', 'save_failed' or None (not a failed write)."""
    error = _os_error(exc)
    if error is not None and error.errno in DISK_FULL:
        return "disk_full"
    return "save_failed" if isinstance(exc, SaveFailed) else None


def save_failure_message(exc: BaseException, run_dir: Path) -> str | None:
    """One sentence for a run that failed writing a file: what failed and which checkpoint resume uses."""
    kind = save_error_kind(exc)
    if kind is None:
        return None
    error = _os_error(exc)
    reason = error.strerror if error is not None and error.strerror else str(error or exc)
    cause = f"The disk is full ({reason})" if kind == "disk_full" else f"Saving failed ({reason})"
    where = ""
    if isinstance(exc, SaveFailed):
        where = f" while saving {exc.what}"
        if exc.what.startswith("checkpoint-"):
            where += ", which is left half-written and is skipped on resume"
    fix = "free some space" if kind == "disk_full" else "fix that"
    intact = last_checkpoint(run_dir)
    if intact is None:
        return f"{cause}{where}: there is no intact checkpoint yet, so {fix} and start the run again."
    return f"{cause}{where}: {intact.name} is intact, so {fix} and resume the run from it."
