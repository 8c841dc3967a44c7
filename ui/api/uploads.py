"""Uploads: a file the browser sent, stored in the upload area under a random id as the caller's; an id back
to its file.

Clients name data by the upload id the app issued (``core.data.uploads``: ``<random>-<file name>``), never
by a server path, and only their own uploads (an admin: any); a saved data choice is checked again before it
is used (``Context.valid_data``). Viewer accounts cannot upload; Gradio's cached copy of an upload is deleted
once it is stored (``Context.store_upload``), and uploads no run uses expire (``ui.api.housekeeping``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.uploads import display_name
from ui.api.context import Context


class Uploads:
    """The app's upload area, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def store(self, path: str | Path, request: Any = None) -> str:
        """Store a file the browser sent as the caller's upload (once per account, content and name); its id."""
        return self.context.store_upload(path, request)

    def path(self, upload: str) -> Path:
        """The stored file of an upload id the caller may use; a DataError for anything else."""
        return self.context.upload_path(upload)

    def valid(self, choice: Any) -> dict[str, Any] | None:
        """A saved data choice (upload id and columns) when it still names the caller's upload, else None."""
        return self.context.valid_data(choice)

    def may_upload(self) -> bool:
        """Whether the caller may upload files (viewers may not)."""
        return self.context.caller().may_upload

    @staticmethod
    def name(upload: str) -> str:
        """The user's file name inside an upload id."""
        return display_name(upload)
