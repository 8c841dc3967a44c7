"""Delete a run folder, safely: never an active run, never anything but a run directly inside the runs
folder, and never a half-deleted run that still lists as a run.

The folder is first renamed to ``.deleting-<id>`` inside the runs folder (one atomic rename), then
removed; ``core.runs.catalog`` ignores dot-folders, so a crash half-way leaves a hidden leftover, not a
broken run. Symlinks are resolved and never followed out of the runs folder; the runs folder itself is
never deleted. Leaves out: stopping a run first (``core.runs.process.request_stop``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from core.errors import RunError
from core.runs.folder import RunPaths, read_json, runs_root
from core.runs.status import ACTIVE_STATES, alive, read_status

TRASH_PREFIX = ".deleting-"


def _active_state(folder: Path) -> str | None:
    """'queued', 'running' or 'stopping' while a process works on the run; None otherwise."""
    try:
        state = read_status(folder).get("state")
    except (RunError, OSError, ValueError, TypeError, AttributeError):  # damaged status: ask the launcher
        launch = read_json(RunPaths(folder).launch)
        state = "running" if isinstance(launch, dict) and alive(launch.get("pid")) else None
    return state if state in ACTIVE_STATES else None


def _refuse_active(folder: Path, run_id: str) -> None:
    state = _active_state(folder)
    if state == "stopping":
        raise RunError(f"Run {run_id} is stopping: wait until it has stopped, then delete it.")
    if state:
        raise RunError(f"Run {run_id} is {state}: stop it first (the Stop button or "
                       f"`python -m core stop {run_id}`), then delete it.")


def check_removable(run_dir: str | Path, root: str | Path | None = None) -> Path:
    """The resolved folder of a run ``remove_run`` may delete; a one-sentence :class:`RunError` if not."""
    base = runs_root(root).expanduser()
    if not base.is_dir():
        raise RunError(f"The runs folder {base} does not exist: give --root (or $TUNESCOPE_RUNS).")
    base = base.resolve()
    given = Path(run_dir).expanduser()
    if given.is_symlink():
        raise RunError(f"{given} is a link, not a run folder: only run folders themselves can be deleted.")
    if not given.is_dir():
        raise RunError(f"{given} does not exist: give a run listed by `python -m core runs`.")
    target = given.resolve()
    if target == base:
        raise RunError(f"{given} is the runs folder itself: give one run inside it.")
    if target.parent != base:
        raise RunError(f"{given} is not a run folder directly inside the runs folder {base}: "
                       "only runs listed by `python -m core runs` can be deleted.")
    paths = RunPaths(target)
    if target.name.startswith(".") or not (paths.config.exists() or paths.status.exists()):
        raise RunError(f"{given} is not a run folder (it has no config.json or status.json): nothing was deleted.")
    _refuse_active(target, target.name)
    return target


def folder_bytes(folder: Path) -> int:
    """The size of every file under ``folder`` (symlinks count as links, never followed)."""
    total = 0
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def _trash_path(target: Path) -> Path:
    trash = target.with_name(TRASH_PREFIX + target.name)
    n = 1
    while trash.exists() or trash.is_symlink():  # a leftover of an earlier, interrupted delete
        trash = target.with_name(f"{TRASH_PREFIX}{target.name}.{os.getpid()}.{n}")
        n += 1
    return trash


def remove_run(run_dir: str | Path, root: str | Path | None = None) -> dict[str, Any]:
    """Delete run ``run_dir`` from the runs folder ``root``; returns ``{"run_id", "bytes", "path"}``.

    Refuses (one-sentence :class:`RunError`) an active run, a link, the runs folder itself and anything
    that is not a run folder directly inside it.
    """
    target = check_removable(run_dir, root)
    trash = _trash_path(target)
    os.rename(target, trash)  # atomic: from here on the run no longer lists
    try:
        _refuse_active(trash, target.name)  # a training process started between the check and the rename
    except RunError:
        os.rename(trash, target)
        raise
    size = folder_bytes(trash)
    try:
        shutil.rmtree(trash)
    except OSError as exc:
        raise RunError(f"Run {target.name} was only partly deleted ({exc.strerror or exc}): "
                       f"delete {trash} by hand.") from exc
    return {"run_id": target.name, "bytes": size, "path": str(target)}
