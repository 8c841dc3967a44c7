"""Uploads: a file the browser sent, stored in the upload area under an id; an id back to its file.

Clients name data by the upload id the app issued (``core.data.uploads``: ``<sha10>-<file name>``), never
by a server path; a saved data choice is checked again before it is used (``ui.api.session.valid_data``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.uploads import display_name, store_upload
from ui.api.context import Context
from ui.api.session import valid_data


class Uploads:
    """The app's upload area, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def store(self, path: str | Path) -> str:
        """Copy a file the browser sent into the upload area (once per content and name); its upload id."""
        return store_upload(path, self.context.places.uploads)

    def path(self, upload: str) -> Path:
        """The stored file of an upload id; a DataError for anything else."""
        return self.context.upload_path(upload)

    def valid(self, choice: Any) -> dict[str, Any] | None:
        """A saved data choice (upload id and columns) when it still names a stored upload, else None."""
        return valid_data(choice, self.context.places)

    @staticmethod
    def name(upload: str) -> str:
        """The user's file name inside an upload id."""
        return display_name(upload)
