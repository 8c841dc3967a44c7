"""File-system steps every package needs, written once: atomic writes, swapping a folder in, ids as names.

- :func:`written_aside` / :func:`atomic_write` / :func:`write_json`: a temporary file beside the target, then
  ``os.replace``, so a reader never sees half a file (status, metrics, caches, reports, exports, uploads).
- :func:`swap_folder`: a folder written aside (``<name>.partial``) replaces ``<name>`` in one rename; the
  previous one is kept as ``<name>.old`` only for the instant of the swap (saved models, the index).
- :func:`child_by_id`: the entry of a folder that a client names by id (a run, a sweep, an upload), refusing
  anything that is not a plain name inside that folder.

Imports nothing of the project but its errors: every layer may use it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")  # a run id: a folder name, no separators


@contextlib.contextmanager
def written_aside(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; when the block ends without an error it replaces ``path``
    in one rename, and in any case nothing is left behind. ``suffix`` ends the temporary name (``.npz`` for
    numpy, which would add it otherwise)."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and one rename."""
    with written_aside(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return Path(path)


def write_json(path: str | Path, payload: Any) -> Path:
    """Write JSON atomically (indented, values JSON does not know written as text)."""
    return atomic_write(path, json.dumps(payload, indent=2, default=str) + "\n")


def replace_with(tmp: str | Path, path: str | Path) -> Path:
    """Move a file that was written aside (``tmp``) over ``path`` in one rename."""
    os.replace(tmp, path)
    return Path(path)


def partial_of(target: str | Path) -> Path:
    """The folder a new version of ``target`` is written to before :func:`swap_folder`."""
    target = Path(target)
    return target.with_name(target.name + ".partial")


def swap_folder(partial: str | Path, target: str | Path) -> Path:
    """Put the folder ``partial`` in the place of ``target`` (which may not exist) with renames only."""
    partial, target = Path(partial), Path(target)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(partial, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def is_id(value: Any, pattern: re.Pattern[str] = PLAIN_ID) -> bool:
    """True when ``value`` is a plain name of the form ``pattern`` (never a path, never ``..``)."""
    return isinstance(value, str) and bool(pattern.match(value)) and ".." not in value


def child_by_id(folder: str | Path, entry_id: Any, *, not_an_id: str, missing: str,
                exists: Callable[[Path], bool] = Path.exists, pattern: re.Pattern[str] = PLAIN_ID,
                error: type[Exception] = ValueError, shown: Callable[[str], str] = str) -> Path:
    """``folder/entry_id`` when ``entry_id`` is a plain name (no separators, no ``..``) and ``exists`` holds.

    ``not_an_id`` and ``missing`` are the messages of the ``error`` raised otherwise (``{id}`` is filled in
    with the id as ``shown`` writes it for people).
    """
    if not is_id(entry_id, pattern):
        raise error(not_an_id.format(id=str(entry_id)[:80]))
    path = Path(folder) / entry_id
    if not exists(path):
        raise error(missing.format(id=shown(entry_id)))
    return path
