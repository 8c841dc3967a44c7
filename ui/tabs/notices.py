"""Toasts in the page's language: ``gr.Warning`` and ``gr.Info`` with their text and their title (Gradio's
"Warning" / "Info") through ``ui.i18n``."""

from __future__ import annotations

import gradio as gr

from ui.i18n.languages import tr


def warn_all(messages: list[str]) -> None:
    """Show each message as a ``gr.Warning`` toast, in the page's language."""
    for message in messages:
        warning(message)


def warning(message: str) -> None:
    """A ``gr.Warning`` toast in the page's language (``ui.i18n``)."""
    gr.Warning(tr(message), title=tr("Warning"))


def info(message: str) -> None:
    """A ``gr.Info`` toast in the page's language (``ui.i18n``)."""
    gr.Info(tr(message), title=tr("Info"))
