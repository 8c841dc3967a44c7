"""What one browser session has chosen, as small values the server can check.

A model is referred to by a *model reference*: ``default``, ``hub:<id>``, ``folder:<path>`` (only a
folder the admin offered with ``--model``/``--models``) or ``run:<run id>``; data by an upload id
(``core.data.uploads``). These small strings live in ``gr.BrowserState`` (encrypted with the app's
secret) so the choices survive a page reload, and every one of them is checked again when it is used:
a run id must name a run inside the runs folder, an upload id a file in the upload area.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import MULTI_LABEL_MODES
from core.data import Columns
from core.data.uploads import display_name, is_upload_id
from core.errors import ModelError, TuneScopeError
from core.models import DEFAULT_NAME, SMOLLM2
from core.pretrain.lm import SMOLLM2_NAME
from core.runs import run_folder, runs_root

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")

DEFAULT = "default"
TABS = ("model", "data", "train", "attention", "predict", "runs")


@dataclass(frozen=True)
class Places:
    """Where this app keeps runs and uploads (``--runs``), and the model folders the admin offers."""

    root: Path
    folders: tuple[Path, ...] = field(default=())

    @classmethod
    def at(cls, root: str | Path | None, folders: list[str | Path] | tuple[str | Path, ...] = ()) -> Places:
        return cls(runs_root(root).resolve(), tuple(Path(f).expanduser().resolve() for f in folders))

    def model_folder(self, value: str) -> Path:
        """An offered model folder; a ModelError for any other path (clients cannot name server paths)."""
        path = Path(value).expanduser().resolve()
        if path not in self.folders:
            raise ModelError("That model folder is not one this app offers: choose one from the list, or ask the "
                             "admin to start the app with --models DIR.")
        return path

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"


def model_ref(kind: str, value: str = "") -> str:
    """A model reference from the Model tab's choice ('default', 'hub', 'folder' or 'run')."""
    value = (value or "").strip()
    if kind == SMOLLM2:
        return SMOLLM2
    return DEFAULT if kind == DEFAULT or not value else f"{kind}:{value}"


def split_ref(ref: str | None) -> tuple[str, str]:
    """(kind, value) of a model reference; bare strings from older sessions read as paths or hub ids."""
    ref = (ref or DEFAULT).strip()
    if ref in (DEFAULT, ""):
        return DEFAULT, ""
    if ref == SMOLLM2:
        return SMOLLM2, ""
    kind, sep, value = ref.partition(":")
    if sep and kind in ("hub", "folder", "run"):
        return kind, value
    return ("folder" if ref.startswith(("/", ".", "~")) else "hub"), ref


def model_source(ref: str | None, places: Places) -> str:
    """The string core understands ('default', a hub id, a folder) for a model reference."""
    kind, value = split_ref(ref)
    if kind == "run":
        return str(run_folder(value, places.root))
    if kind == "folder":
        return str(places.model_folder(value))
    if kind == SMOLLM2:
        return SMOLLM2
    if kind == "hub" and (not HUB_ID.match(value) or ".." in value):
        raise ModelError(f"'{value[:80]}' is not a Hugging Face model id (like org/name).")
    return value or DEFAULT


def model_name(ref: str | None) -> str:
    """How a model reference is shown to the user."""
    kind, value = split_ref(ref)
    if kind == DEFAULT:
        return DEFAULT_NAME
    if kind == SMOLLM2:
        return SMOLLM2_NAME
    return {"hub": f"Hugging Face model {value}", "folder": f"model folder {value}", "run": f"run {value}"}[kind]


def valid_ref(ref: Any, places: Places) -> str | None:
    """``ref`` when it still names a usable model reference here, else None (for restoring a session)."""
    if not isinstance(ref, str):
        return None
    try:
        model_source(ref, places)
    except TuneScopeError:
        return None
    return ref


def valid_data(choice: Any, places: Places) -> dict[str, Any] | None:
    """A saved data choice ``{"upload", "text_column", "label_column", "text_pair_column"}`` if still valid."""
    if not isinstance(choice, dict) or not is_upload_id(choice.get("upload")):
        return None
    if not (places.uploads / choice["upload"]).is_file():
        return None
    texts = {k: v for k, v in choice.items() if isinstance(v, str)}
    mode = texts.get("multi_label") if texts.get("multi_label") in MULTI_LABEL_MODES else "auto"
    return {"upload": choice["upload"], **Columns.from_dict({**texts, "multi_label": mode}).to_dict()}


def data_name(choice: dict[str, Any] | None) -> str:
    return display_name(choice["upload"]) if choice and choice.get("upload") else "no data"


def browser_secret(places: Places) -> str:
    """The key that encrypts this app's browser state: $TUNESCOPE_SECRET, else one kept in the runs folder."""
    if os.environ.get("TUNESCOPE_SECRET"):
        return os.environ["TUNESCOPE_SECRET"]
    path = places.root / ".browser-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        places.root.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another app on the same folder wrote it first
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
        return value


def offered_folders(folders: list[str] | None, models_dir: list[str] | None) -> list[Path]:
    """Model folders the admin offers: each ``--model`` folder, and every model folder inside ``--models``."""
    found = [Path(f) for f in folders or [] if (Path(f) / "config.json").exists()]
    for parent in models_dir or []:
        found += sorted(p for p in Path(parent).expanduser().iterdir() if (p / "config.json").exists())
    return found
