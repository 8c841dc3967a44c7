"""A run's name, tags, notes, owner and share choice (``RUN/meta.json``): the one module that reads and writes them.

``{"name": ..., "tags": [...], "notes": ..., "owner": ..., "shared": ...}``, written atomically (temp file + rename) under a lock on
the run folder, so two people tagging one run at once both keep their change. Renaming never moves the
folder: the run id stays the folder name, and the name is only what lists show. Every value is checked
(one-sentence :class:`ConfigError`); a hand-damaged ``meta.json`` reads as the defaults (name = run id).
``owner`` is the account that created the run (written once, before the run's other files, by
:func:`write_owner`; None for runs made without accounts or before owners were recorded) and ``shared``
whether its owner shares it with the lab (private by default, :func:`share_run`). Leaves out: listing runs (``core.runs.catalog``) and deleting them (``core.runs.remove``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.runs.folder import read_json, require_run, write_json

META_FILE = "meta.json"
NAME_MAX = 80
TAG_MAX = 40
TAGS_MAX = 20
NOTES_MAX = 4000
OWNER_MAX = 100
TAG = re.compile(r"[\w.:-]+")  # \w: letters and digits of any script, and '_'


def meta_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / META_FILE


def _shown(text: str) -> str:
    """A user's text quoted safely in a message: escaped, and cut when long."""
    return repr(text[:24] + ("…" if len(text) > 24 else ""))


def check_name(name: Any) -> str:
    """``name`` without surrounding spaces if it is 1-80 printable characters; a :class:`ConfigError` if not."""
    if not isinstance(name, str):
        raise ConfigError("A run name must be text: give 1 to 80 characters.")
    name = name.strip()
    if not name:
        raise ConfigError("A run name cannot be empty: give 1 to 80 characters.")
    if len(name) > NAME_MAX:
        raise ConfigError(f"A run name has at most {NAME_MAX} characters (this one has {len(name)}): shorten it.")
    if not name.isprintable():
        raise ConfigError("A run name cannot contain control or invisible characters (line breaks, tabs, "
                          "direction marks): type it on one line.")
    return name


def check_tag(tag: Any) -> str:
    """``tag`` if it is 1-40 letters, digits or ``- _ . :``; a :class:`ConfigError` if not."""
    if not isinstance(tag, str):
        raise ConfigError("A tag must be text: give 1 to 40 letters, digits or - _ . :")
    tag = tag.strip()
    if not tag:
        raise ConfigError("A tag cannot be empty: give 1 to 40 letters, digits or - _ . :")
    if len(tag) > TAG_MAX:
        raise ConfigError(f"A tag has at most {TAG_MAX} characters ({_shown(tag)} has {len(tag)}): shorten it.")
    if not TAG.fullmatch(tag):
        raise ConfigError(f"Tag {_shown(tag)} can only use letters, digits and - _ . : (no spaces): change it.")
    return tag


def check_notes(notes: Any) -> str:
    """``notes`` if it is text of at most 4000 characters with no control characters but line breaks and tabs."""
    if not isinstance(notes, str):
        raise ConfigError("Notes must be text.")
    if len(notes) > NOTES_MAX:
        raise ConfigError(f"Notes have at most {NOTES_MAX} characters (these have {len(notes)}): shorten them.")
    if not notes.replace("\n", "").replace("\t", "").isprintable():
        raise ConfigError("Notes cannot contain control or invisible characters other than line breaks and tabs.")
    return notes.strip()


def _valid(check: Any, value: Any) -> Any:
    try:
        return check(value)
    except ConfigError:
        return None


def check_owner(owner: Any) -> str | None:
    """An account name as recorded (1-100 printable characters), else None."""
    return owner if isinstance(owner, str) and 0 < len(owner) <= OWNER_MAX and owner.isprintable() else None


def _stored(run_dir: str | Path) -> dict[str, Any]:
    """Every checked value of the run's meta.json: name, tags, notes, owner, shared."""
    raw = read_json(meta_path(run_dir), {})  # bounded; a damaged file reads as empty
    raw = raw if isinstance(raw, dict) else {}
    tags = raw.get("tags") if isinstance(raw.get("tags"), list) else []
    return {"name": _valid(check_name, raw.get("name")) or Path(run_dir).name,
            "tags": list(dict.fromkeys(t for t in (_valid(check_tag, t) for t in tags) if t))[:TAGS_MAX],
            "notes": _valid(check_notes, raw.get("notes")) or "",
            "owner": check_owner(raw.get("owner")), "shared": raw.get("shared") is True}


def read_meta(run_dir: str | Path) -> dict[str, Any]:
    """``{"name", "tags", "notes"}`` of a run: its saved values, else its id, no tags and no notes."""
    stored = _stored(run_dir)
    return {key: stored[key] for key in ("name", "tags", "notes")}


def read_sharing(run_dir: str | Path) -> dict[str, Any]:
    """``{"owner", "shared"}`` of a run: the account that created it (None: made without accounts, or before
    owners were recorded) and whether it is shared with the lab (False unless its owner shared it)."""
    stored = _stored(run_dir)
    return {"owner": stored["owner"], "shared": stored["shared"]}


def write_owner(run_dir: str | Path, owner: str | None) -> None:
    """Record the account that creates the run (before its config and status exist); nothing for None."""
    if check_owner(owner) is not None:
        write_json(meta_path(run_dir), {**_stored(run_dir), "owner": owner})


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """An exclusive lock on the run folder while its meta.json is read, changed and written."""
    import fcntl

    handle = os.open(run_dir, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _update(run_dir: str | Path, **changes: Any) -> dict[str, Any]:
    folder = require_run(run_dir)
    with _locked(folder):
        stored = {**_stored(folder), **changes}
        write_json(meta_path(folder), stored)
    return read_meta(folder)


def rename_run(run_dir: str | Path, name: str) -> dict[str, Any]:
    """Give the run a display name (1-80 printable characters); the folder and run id stay. Returns the meta."""
    return _update(run_dir, name=check_name(name))


def _tag_list(tags: Iterable[str] | str | None) -> list[str]:
    if tags is None:
        return []
    return [tags] if isinstance(tags, str) else list(tags)


def tag_run(run_dir: str | Path, add: Iterable[str] | str | None = None,
            remove: Iterable[str] | str | None = None) -> dict[str, Any]:
    """Add and remove tags (each 1-40 letters, digits or ``- _ . :``; at most 20 a run). Returns the meta."""
    added = [check_tag(t) for t in _tag_list(add)]
    removed = {t.strip() for t in _tag_list(remove) if isinstance(t, str)}
    folder = require_run(run_dir)
    with _locked(folder):
        stored = _stored(folder)
        tags = [t for t in dict.fromkeys([*stored["tags"], *added]) if t not in removed]
        if len(tags) > TAGS_MAX:
            raise ConfigError(f"A run has at most {TAGS_MAX} tags (this change makes {len(tags)}): "
                              "remove some first.")
        stored["tags"] = tags
        write_json(meta_path(folder), stored)
    return read_meta(folder)


def share_run(run_dir: str | Path, shared: bool) -> dict[str, Any]:
    """Share the run with the lab (every account may then see and use it, not change it), or make it private
    again. Returns ``{"owner", "shared"}``."""
    if not isinstance(shared, bool):
        raise ConfigError("Sharing is a yes or no choice: give true or false.")
    _update(run_dir, shared=shared)
    return read_sharing(run_dir)


def set_notes(run_dir: str | Path, notes: str) -> dict[str, Any]:
    """Replace the run's free-text notes (at most 4000 characters). Returns the meta."""
    return _update(run_dir, notes=check_notes(notes))
