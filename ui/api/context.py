"""What every operation runs over: this app's places, its accounts and limits, and who sent a request.

One :class:`Context` per app (``ui.api.endpoints.Api`` makes it); each concern of ``ui.api`` (models,
data, training, runs, ...) is a small class over it. :meth:`Context.caller` names who sent a request (the
``gr.Request`` given, else the one Gradio set for the running event) with its role (``ui.api.access``);
``require_change`` refuses read-only sessions in one sentence. Runs are named by run id, uploads by upload id,
sweeps by sweep id and models by model reference (``ui.api.session``): the context turns them into server
paths, and only for a caller who may see them (``run_dir``, ``upload_path``, ``sweep_dir``, ``source``) or
change them (``own_run``, ``own_sweep``). What a caller may not see reads exactly like what does not exist.
It also holds the app's download area (``ui.api.downloads``) and quotas (``ui.api.quotas``).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.context import LocalContext
from gradio.utils import get_upload_folder

from core.data.uploads import is_upload_id, store_upload, upload_owner, upload_path
from core.errors import DataError, RunError
from core.files import is_id
from core.inference import load_for_inference
from core.runs import read_sharing, run_folder
from core.sweep.folder import SWEEP_ID, sweep_folder, sweep_owner
from ui.api.access import NO_UPLOAD_MESSAGE, READ_ONLY_MESSAGE, Access, Caller, Limits
from ui.api.downloads import Downloads
from ui.api.errors import scrubbed
from ui.api.quotas import Quotas
from ui.api.session import RUN, ModelRef, Places, valid_data

NO_RUN = "There is no run '{id}' you can see: choose one from the list."
NOT_YOURS = "Run '{id}' belongs to another account: only its owner or an admin can change it."
NO_UPLOAD = "There is no upload '{id}' you can see: upload the file again."
NO_SWEEP = "There is no sweep '{id}' you can see: choose a sweep from the list."
REMEMBERED = 512  # browser files already stored, by (path, owner): a second click on the same file reuses its id


def _shown(value: Any) -> str:
    return str(value)[:80]


class Context:
    """One app's runs folder, upload area, offered model folders, accounts, limits and download area."""

    def __init__(self, places: Places, access: Access | None = None, limits: Limits | None = None) -> None:
        self.places = places
        self.access = access or Access()
        self.limits = limits or Limits()
        self.downloads = Downloads(download_area(places), self.limits.download_minutes)
        self.quotas = Quotas(self.limits, places.root, places.uploads, self.downloads.usage)
        self._stored: OrderedDict[tuple[str, str | None], str] = OrderedDict()
        self._lock = threading.Lock()

    def caller(self, request: Any = None) -> Caller:
        """Who sent ``request`` (a ``gr.Request``; by default the running event's) and what they may do."""
        return self.access.caller(request if request is not None else LocalContext.request.get(None))

    def shown(self, value: Any, request: Any = None) -> Any:
        """``value`` as this caller may see it: as it is for the admin (and the one user without accounts), else
        without server paths (``ui.api.errors.scrubbed``)."""
        return value if self.caller(request).sees_all else scrubbed(value)

    def require_change(self, request: Any = None) -> None:
        """Refuse training and run control to read-only sessions (viewer accounts, ``--read-only``)."""
        if not self.caller(request).may_change:
            raise gr.Error(READ_ONLY_MESSAGE, print_exception=False)

    def run_dir(self, run_id: str, request: Any = None) -> Path:
        """The folder of a run id the caller may see; one RunError for anything else, seen or not."""
        if not is_id(run_id):
            return run_folder(run_id, self.places.root)  # core's one sentence for what is not a run id
        try:
            folder = run_folder(run_id, self.places.root)
        except RunError:
            folder = None
        sharing = read_sharing(folder) if folder is not None else None
        if sharing is None or not self.caller(request).may_see(sharing["owner"], sharing["shared"]):
            raise RunError(NO_RUN.format(id=_shown(run_id)))
        return folder

    def own_run(self, run_id: str, request: Any = None) -> Path:
        """The folder of a run the caller may change: its own (any, for an admin); the read-only rule first."""
        self.require_change(request)
        folder = self.run_dir(run_id, request)
        if not self.caller(request).may_manage(read_sharing(folder)["owner"]):
            raise RunError(NOT_YOURS.format(id=_shown(run_id)))
        return folder

    def upload_path(self, upload: str, request: Any = None) -> Path:
        """The stored file of an upload id the caller may use (its own; any, for an admin); a DataError else."""
        if not is_upload_id(upload):
            return upload_path(upload, self.places.uploads)  # core's one sentence for what is not an upload id
        path = self.places.uploads / upload
        if not path.is_file() or not self.caller(request).owns(upload_owner(self.places.uploads, upload)):
            raise DataError(NO_UPLOAD.format(id=_shown(upload.split("-", 1)[1])))
        return path

    def valid_data(self, choice: Any, request: Any = None) -> dict[str, Any] | None:
        """A saved data choice (upload id and columns) when it still names an upload the caller may use, else None."""
        data = valid_data(choice, self.places)
        if data is None or not self.caller(request).owns(upload_owner(self.places.uploads, data["upload"])):
            return None
        return data

    def store_upload(self, path: str | Path, request: Any = None) -> str:
        """Store a file the browser sent as the caller's upload (refused to viewers and over the disk limit),
        and delete Gradio's cached copy of it: the upload area keeps the only one. Its upload id."""
        caller, path = self.caller(request), Path(path)
        if not caller.may_upload:
            _forget_cached(path)
            raise gr.Error(NO_UPLOAD_MESSAGE, print_exception=False)
        key = (str(path), caller.owner)
        with self._lock:
            known = self._stored.get(key)
        if known and (self.places.uploads / known).is_file():
            _forget_cached(path)  # the browser sent it again
            return known
        if not path.is_file():
            raise DataError(f"The file '{path.name}' is no longer on the server: choose it again.")
        try:
            self.quotas.check_disk(caller, path.stat().st_size)
        except gr.Error:
            _forget_cached(path)
            raise
        upload = store_upload(path, self.places.uploads, caller.owner)
        with self._lock:
            self._stored[key] = upload
            while len(self._stored) > REMEMBERED:
                self._stored.popitem(last=False)
        _forget_cached(path)
        return upload

    def sweep_dir(self, sweep_id: str, request: Any = None, manage: bool = False) -> Path:
        """The folder of a sweep the caller started (any, for an admin); ``manage``: to stop it."""
        if manage:
            self.require_change(request)
        try:
            folder = sweep_folder(sweep_id, self.places.root) if is_id(sweep_id, SWEEP_ID) else None
        except RunError:
            folder = None
        if folder is None or not self.caller(request).owns(sweep_owner(folder)):
            raise RunError(NO_SWEEP.format(id=_shown(sweep_id)))
        return folder

    def source(self, model: str | None, request: Any = None) -> ModelRef:
        """A client's model reference checked against what this app offers (a run: one the caller may see), in
        the form core loads."""
        ref = ModelRef.parse(model)
        if ref.kind == RUN:
            self.run_dir(ref.value, request)
        return self.places.model(model)

    def usable(self, ref: Any) -> str | None:
        """``ref`` when it still names a model this caller may use here, else None (restoring a session)."""
        usable = self.places.usable(ref)
        if usable is not None and ModelRef.parse(usable).kind == RUN:
            try:
                self.run_dir(ModelRef.parse(usable).value)
            except RunError:
                return None
        return usable

    def load(self, model: str | None, request: Any = None) -> Any:
        """The loaded model for a model reference (cached and shared, never changed)."""
        return load_for_inference(self.source(model, request))

    @contextlib.contextmanager
    def download(self, name: str, request: Any = None, heavy: bool = True) -> Iterator[Path]:
        """A fresh download path for the caller, inside its disk limit and (``heavy``) its heavy-job limit; the
        file is deleted again when writing it fails or takes the account over its disk limit."""
        caller = self.caller(request)
        self.quotas.check_disk(caller)
        with self.quotas.heavy(caller) if heavy else contextlib.nullcontext():
            path = self.downloads.create(caller.owner, name)
            try:
                yield path
                self.quotas.check_disk(caller)
            except BaseException:
                self.downloads.discard(path)
                raise


def download_area(places: Places) -> Path:
    """This app's download area: a folder of its own (named after its runs folder) in Gradio's upload folder, so
    Gradio serves the files without copying them, and no answer names the runs folder."""
    return Path(get_upload_folder()) / "tunescope-downloads" / hashlib.sha256(str(places.root).encode()).hexdigest()[:16]


def _forget_cached(path: Path) -> None:
    """Delete a file from Gradio's upload folder (and its folder, once empty); nothing for any other file."""
    try:
        cache = Path(get_upload_folder()).resolve()
        resolved = path.resolve()
        if cache in resolved.parents:
            resolved.unlink(missing_ok=True)
            if resolved.parent != cache:
                with contextlib.suppress(OSError):
                    resolved.parent.rmdir()
    except OSError:
        pass
