"""What one browser session has chosen, as small values the server can check.

A model is referred to by a *model reference* (``core.modelref.ModelRef``, re-exported here for the tabs):
``default``, ``smollm2``, ``hub:<id>``, ``folder:<path>`` (only a folder the admin offered with
``--model``/``--models``) or ``run:<run id>``; data by an upload id (``core.data.uploads``). These small
strings live in ``gr.BrowserState`` (encrypted with the app's secret) so the choices survive a page reload, and every one of them is checked again when it is used:
a run id must name a run inside the runs folder, an upload id a file in the upload area.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import MULTI_LABEL_MODES
from core.data import Columns
from core.data.uploads import display_name, is_upload_id
from core.modelref import DEFAULT as DEFAULT
from core.modelref import FOLDER as FOLDER
from core.modelref import HUB as HUB
from core.modelref import RUN as RUN
from core.modelref import SMOLLM2 as SMOLLM2
from core.modelref import ModelRef as ModelRef
from core.modelref import Reach
from core.modelref import smollm2_installed as smollm2_installed
from core.runs import runs_root
from ui.i18n.languages import tr, trf

TABS = ("model", "data", "train", "attention", "predict", "runs")


@dataclass(frozen=True)
class Places:
    """Where this app keeps runs and uploads (``--runs``), and the model folders the admin offers."""

    root: Path
    folders: tuple[Path, ...] = field(default=())

    @classmethod
    def at(cls, root: str | Path | None, folders: list[str | Path] | tuple[str | Path, ...] = ()) -> Places:
        return cls(runs_root(root).resolve(), tuple(Path(f).expanduser().resolve() for f in folders))

    @property
    def reach(self) -> Reach:
        """What a client's model reference may name here: runs inside the runs folder and the offered folders."""
        return Reach(self.root, self.folders)

    def model(self, ref: Any) -> ModelRef:
        """A client's model reference, checked against :attr:`reach`, in the form core loads (folders as paths)."""
        return ModelRef.parse(ref).located(self.reach)

    def usable(self, ref: Any) -> str | None:
        """``ref`` when it still names a usable model here, else None (restoring a session)."""
        return ModelRef.usable(ref, self.reach)

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"


def run_ref(run_id: str) -> str:
    """The client's model reference of a run (``run:<id>``), written by :class:`ModelRef`."""
    return ModelRef(RUN, run_id).format()


def model_name(ref: Any) -> str:
    """How a model reference is shown to people (``core.modelref.ModelRef.name``), in the request's language:
    each kind's name is one catalogue entry with the id, run or folder filled in."""
    parsed = ModelRef.parse(ref)
    if parsed.kind in (DEFAULT, SMOLLM2):
        return tr(parsed.name)
    if parsed.kind == RUN:
        return trf("run {0}", parsed.name.removeprefix("run "))
    return trf("Hugging Face model {0}" if parsed.kind == HUB else "model folder {0}", parsed.value)


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
