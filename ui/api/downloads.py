"""Files the app hands to one account: reports, exports, predicted files and figures, each downloaded once.

Each download is written into a fresh folder ``<area>/<random token>/`` with a record of its owner and time
(:class:`Downloads`); the app's area is a folder of its own inside Gradio's upload folder
(``ui.api.context.download_area``), so Gradio serves the file from there without copying it, and no answer
names the runs folder. :class:`DownloadGate`, an ASGI middleware in front of Gradio's file
route, lets only its owner fetch it (anyone else gets 404, as for a file that is not there), serves it as an
attachment, and deletes it once it has been downloaded in full. What nobody downloads is deleted after
``minutes`` by the app's cleanup sweep (``ui.api.housekeeping``). API answers carry the file as Gradio's
``FileData`` (``Downloads.answer``), which ``gradio_client`` downloads like any file output; they never name
the runs folder.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gradio.data_classes import FileData
from starlette.requests import Request

from core.data.uploads import safe_name

RECORD = ".download.json"


class Downloads:
    """The download area of one app: ``folder/<token>/<file>`` plus ``folder/<token>/.download.json``."""

    def __init__(self, folder: Path, minutes: float = 30.0) -> None:
        self.folder = Path(folder).resolve()
        self.minutes = float(minutes)

    def create(self, owner: str | None, name: str) -> Path:
        """A fresh path named ``name`` (made safe) in a new token folder recorded as ``owner``'s."""
        token_folder = self.folder / secrets.token_urlsafe(18)
        token_folder.mkdir(parents=True)
        (token_folder / RECORD).write_text(json.dumps({"owner": owner, "created": time.time()}), encoding="utf-8")
        return token_folder / safe_name(name)

    def discard(self, path: str | Path) -> None:
        """Delete a download (its whole token folder); nothing for a path outside the area."""
        folder = self._token_folder(Path(path))
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _token_folder(self, path: Path) -> Path | None:
        try:
            path = path.resolve()
        except (OSError, RuntimeError):
            return None
        if path.parent.parent != self.folder or path.name.startswith("."):
            return None
        return path.parent

    def owner_of(self, path: str | Path) -> tuple[bool, str | None]:
        """(True, owner) when ``path`` is a download of this area; (False, None) for any other path."""
        folder = self._token_folder(Path(path))
        record = _record(folder) if folder is not None else None
        if record is None:
            return False, None
        owner = record.get("owner")
        return True, owner if isinstance(owner, str) else None

    def usage(self, owner: str | None) -> int:
        """Bytes of the downloads waiting for ``owner``."""
        total = 0
        for folder in self._folders():
            record = _record(folder) or {}
            if record.get("owner") == owner:
                total += sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        return total

    def expire(self, now: float | None = None) -> int:
        """Delete the downloads older than ``minutes`` (and token folders without a record); how many."""
        now, removed = time.time() if now is None else now, 0
        for folder in self._folders():
            record = _record(folder)
            created = record.get("created") if record else None
            age = now - (created if isinstance(created, int | float) else _mtime(folder))
            if age > self.minutes * 60:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def clear(self) -> None:
        """Delete every download of the area (when the app stops: its links die with it)."""
        for folder in self._folders():
            shutil.rmtree(folder, ignore_errors=True)

    def _folders(self) -> list[Path]:
        try:
            return [p for p in self.folder.iterdir() if p.is_dir()]
        except OSError:
            return []

    @staticmethod
    def answer(path: str | Path) -> FileData:
        """What an API endpoint returns for a download: a file Gradio serves and ``gradio_client`` fetches."""
        path = Path(path)
        return FileData(path=str(path), orig_name=path.name, size=path.stat().st_size)


def _record(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def request_user(scope: dict[str, Any]) -> str | None:
    """The logged-in account of an HTTP request to a Gradio app (its login cookie), else None."""
    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not tokens or cookie_id is None:
        return None
    cookies = Request(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return tokens.get(token)


class DownloadGate:
    """ASGI middleware: a download is served to its owner only, as an attachment, and deleted once fetched whole."""

    def __init__(self, app: Any, downloads: Downloads) -> None:
        self.app = app
        self.downloads = downloads

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        target = self.download_in(unquote(scope.get("path", ""))) if scope.get("type") == "http" else None
        ours, owner = self.downloads.owner_of(target) if target else (False, None)
        if not ours or target is None:
            await self.app(scope, receive, send)
            return
        if owner != request_user(scope):
            await _not_found(send)
            return
        whole = scope.get("method") == "GET" and not any(k.lower() == b"range" for k, _ in scope.get("headers", []))
        status: list[int] = []

        async def relay(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                message = {**message, "headers": _attachment(message.get("headers", []), Path(target).name)}
            await send(message)
            if (message["type"] == "http.response.body" and not message.get("more_body") and whole
                    and status == [200]):
                self.downloads.discard(target)

        await self.app(scope, receive, relay)

    def download_in(self, path: str) -> str | None:
        """The file a request path asks Gradio's file routes for (``/file=PATH``, ``/file/PATH``) when it is one of
        the area's downloads, else None."""
        for route in ("/file=", "/file/"):
            if route in path:
                target = path.split(route, 1)[1]
                if self.downloads.owner_of(target)[0]:
                    return target
        return None


def _attachment(headers: list[tuple[bytes, bytes]], name: str) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"content-disposition", b"x-content-type-options")]
    return [*kept, (b"content-disposition", f'attachment; filename="{safe_name(name)}"'.encode()),
            (b"x-content-type-options", b"nosniff")]


async def _not_found(send: Any) -> None:
    body = b'{"detail":"Not Found"}'
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
