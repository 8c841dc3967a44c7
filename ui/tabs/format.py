"""Small helpers shared by the tabs: turning core errors into Gradio messages, formatting."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from core.errors import TuneScopeError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Show core's typed errors as a ``gr.Error`` popup instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TuneScopeError as exc:
            raise gr.Error(str(exc), print_exception=False) from exc

    return wrapper  # type: ignore[return-value]


def warn_all(messages: list[str]) -> None:
    """Show each message as a ``gr.Warning`` toast, in the page's language."""
    for message in messages:
        warning(message)


def warning(message: str) -> None:
    """A ``gr.Warning`` toast in the page's language (``ui.i18n``)."""
    from ui.i18n import tr

    gr.Warning(tr(message))


def info(message: str) -> None:
    """A ``gr.Info`` toast in the page's language (``ui.i18n``)."""
    from ui.i18n import tr

    gr.Info(tr(message))


def human_count(value: int | float | None) -> str:
    if value is None:
        return "?"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return str(int(value))


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_MARKDOWN_SPECIALS = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]<>()#+-.!|~"})


def md_escape(text: object, limit: int = 200) -> str:
    """User text (run names, tags, config values, labels) made inert inside markdown and HTML, shortened."""
    value = str(text)
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return value.replace("\n", " ").translate(_MARKDOWN_SPECIALS)
