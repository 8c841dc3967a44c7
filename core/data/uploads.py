"""The upload area: files users sent to the app, stored under ids the server issues, and file names in messages.

An upload id is ``<first 10 hex digits of the SHA-256>-<the user's file name, made safe>``. Clients
refer to uploads only by these ids; :func:`upload_path` refuses anything else (paths, ``..``, ids of
files that are not there), so no request can read a file outside the upload area. The user's own file
name is kept for messages (:func:`display_name`), and :func:`shown_name` is the name every message in
``core.data`` uses for a file: the user's name for an upload, the plain file name (never the folder) otherwise.
Reading the files is ``core.data.readers``' job.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from core.errors import DataError
from core.files import child_by_id, is_id, written_aside

_ID = re.compile(r"^[0-9a-f]{10}-[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$")


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_name(name: str) -> str:
    """A file name reduced to letters, digits, dot, dash, underscore and space (never empty)."""
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(name).name).strip(" ._") or "upload"
    return stem[:150]


def store_upload(source: str | Path, folder: str | Path) -> str:
    """Copy ``source`` into the upload area (once per content and name); returns its upload id."""
    source, folder = Path(source), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = f"{file_hash(source)[:10]}-{safe_name(source.name)}"
    target = folder / upload_id
    if not target.exists():
        with written_aside(target, ".part") as tmp:
            shutil.copyfile(source, tmp)
    return upload_id


def is_upload_id(value: object) -> bool:
    return is_id(value, _ID)


def upload_path(upload_id: str, folder: str | Path) -> Path:
    """The stored file of ``upload_id``; a :class:`DataError` for anything that is not one."""
    return child_by_id(folder, upload_id, pattern=_ID, error=DataError, exists=Path.is_file, shown=display_name,
                       not_an_id="Unknown upload: upload the file again (uploads are referred to by the id the app gave).",
                       missing="The upload '{id}' is no longer on the server: upload it again.")


def display_name(upload_id: str) -> str:
    """The user's file name inside an upload id."""
    return upload_id.split("-", 1)[1] if is_upload_id(upload_id) else str(upload_id)


def shown_name(path: str | Path) -> str:
    """The file name a message should show: the user's name for a stored upload, else the name without its folder."""
    name = Path(path).name or str(path)
    return display_name(name) if is_upload_id(name) else name
