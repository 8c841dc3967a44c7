"""Uploads: a file the browser sent, stored in the upload area under a random id as the caller's; an id back
to its file.

Clients name data by the upload id the app issued (``core.data.uploads``: ``<random>-<file name>``), never
by a server path, and only their own uploads (an admin: any); a saved data choice is checked again before it
is used (``Context.valid_data``). Viewer accounts cannot upload; Gradio's cached copy of an upload is deleted
once it is stored (``Context.store_upload``), and uploads no run uses expire (``ui.api.housekeeping``).
``/upload_file`` is the same store for API and MCP clients: the file they sent to Gradio's upload route (an MCP
client sends a URL or a ``data:`` URL, which Gradio's MCP server uploads for it); only a file in Gradio's upload
folder is taken, never the download area or any other server path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder

from core.data.uploads import display_name
from core.errors import DataError
from ui.api.context import Context
from ui.api.errors import friendly_errors

NOT_SENT = "Send the file itself (a URL or a data: URL over MCP, handle_file(...) with gradio_client), not a path."


class Uploads:
    """The app's upload area, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def upload_file(self, file: FileData, request: gr.Request = None) -> str:
        """Store a data file (CSV, TSV, JSON, JSONL, Excel, Parquet, or one of them compressed) as the caller's
        upload; returns its upload id, which the other tools take as ``upload`` or ``pool_upload``."""
        sent = file.get("path") if isinstance(file, dict) else getattr(file, "path", None)
        cache = Path(get_upload_folder()).resolve()
        path = Path(str(sent or "")).resolve()
        downloads = self.context.downloads.folder.resolve()
        if not sent or cache not in path.parents or path == downloads or downloads in path.parents:
            raise DataError(NOT_SENT)
        return self.context.store_upload(path, request)

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
