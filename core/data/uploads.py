"""The upload area: files users sent to the app, stored under ids the server issues, and file names in messages.

An upload id is ``<22 random characters>-<the user's file name, made safe>`` (``secrets.token_urlsafe``, so
nobody can guess another account's id; ids of the older form ``<10 hex digits of the SHA-256>-<name>`` that
are still stored keep working). Clients refer to uploads only by these ids; :func:`upload_path` refuses
anything else (paths, ``..``, ids of files that are not there), so no request can read a file outside the
upload area. Each upload has a record ``.meta/<id>.json`` (who stored it, its SHA-256, size and time:
:func:`upload_record`), so one account storing the same file again gets its own id back, and
:func:`expire_uploads` deletes uploads older than an age that no run uses. The user's own file name is kept for
messages (:func:`display_name`), and :func:`shown_name` is the name every message in ``core.data`` uses for a
file: the user's name for an upload, the plain file name (never the folder) otherwise. Reading the files is
``core.data.readers``' job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.errors import DataError
from core.files import child_by_id, is_id, write_json, written_aside

# the random form (22 characters of token_urlsafe, '-' written as '_') or the older content-hash form
_ID = re.compile(r"^(?:[A-Za-z0-9_]{22}|[0-9a-f]{10})-[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$")
RECORDS = ".meta"  # the records' folder inside the upload area (not an upload id, so never served as data)


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


def new_upload_id(name: str) -> str:
    """A fresh random upload id for a file called ``name``."""
    return f"{secrets.token_urlsafe(16).replace('-', '_')}-{safe_name(name)}"


def _record_path(folder: Path, upload_id: str) -> Path:
    return folder / RECORDS / f"{upload_id}.json"


def upload_record(folder: str | Path, upload_id: str) -> dict[str, Any]:
    """``{"owner", "sha256", "bytes", "stored"}`` of an upload; {} for an upload stored before records existed."""
    try:
        record = json.loads(_record_path(Path(folder), upload_id).read_bytes())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def upload_owner(folder: str | Path, upload_id: str) -> str | None:
    """The account that stored an upload; None without accounts, or for an upload older than its record."""
    owner = upload_record(folder, upload_id).get("owner")
    return owner if isinstance(owner, str) else None


def list_uploads(folder: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """(upload id, record) of every stored upload, records read as :func:`upload_record`."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [(path.name, upload_record(folder, path.name)) for path in sorted(folder.iterdir())
            if is_upload_id(path.name) and path.is_file()]


def _reused(folder: Path, digest: str, name: str, owner: str | None) -> str | None:
    """The id of ``owner``'s stored copy of these bytes under this name, refreshed; None when there is none."""
    for upload_id, record in list_uploads(folder):
        if (record.get("sha256") == digest and record.get("owner") == owner and display_name(upload_id) == name):
            write_json(_record_path(folder, upload_id), {**record, "stored": time.time()})
            return upload_id
    return None


def store_upload(source: str | Path, folder: str | Path, owner: str | None = None) -> str:
    """Copy ``source`` into the upload area for ``owner`` (once per account, content and name); its upload id."""
    source, folder = Path(source), Path(folder)
    (folder / RECORDS).mkdir(parents=True, exist_ok=True)
    digest, name = file_hash(source), safe_name(source.name)
    found = _reused(folder, digest, name, owner)
    if found:
        return found
    upload_id = new_upload_id(name)
    write_json(_record_path(folder, upload_id), {"owner": owner, "sha256": digest, "bytes": source.stat().st_size,
                                                 "stored": time.time()})
    with written_aside(folder / upload_id, ".part") as tmp:
        shutil.copyfile(source, tmp)
    return upload_id


def expire_uploads(folder: str | Path, max_age: float, keep: Iterable[str] = (), now: float | None = None
                   ) -> list[str]:
    """Delete the uploads stored more than ``max_age`` seconds ago whose id is not in ``keep`` (the ids runs
    use), and records left without their file; returns the deleted ids."""
    folder, keep, now = Path(folder), set(keep), time.time() if now is None else now
    removed = []
    for upload_id, record in list_uploads(folder):
        path = folder / upload_id
        with contextlib.suppress(OSError):
            stored = record.get("stored") if isinstance(record.get("stored"), int | float) else path.stat().st_mtime
            if upload_id not in keep and now - stored > max_age:
                path.unlink()
                _record_path(folder, upload_id).unlink(missing_ok=True)
                removed.append(upload_id)
    for record in (folder / RECORDS).glob("*.json") if (folder / RECORDS).is_dir() else ():
        upload_id = record.name.removesuffix(".json")
        if is_upload_id(upload_id) and not (folder / upload_id).exists() and now - record.stat().st_mtime > 86400:
            record.unlink(missing_ok=True)
    return removed


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
