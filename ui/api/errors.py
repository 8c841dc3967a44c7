"""Core's typed errors as the messages Gradio shows: a popup in the page, an error for an API client.

A message never quotes a server path: :func:`without_paths` writes every absolute path in it as its last part
(a run folder as its run id, an upload as its file name), whoever wrote the message; :func:`published` does the
same to everything a public endpoint answers an account that is not an admin (``ui.api.endpoints.register``),
files to download excepted. The admin (and the one user of an app without accounts) still gets the runs'
equivalent ``python -m core`` commands with their paths, which run as they are on the server.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import gradio as gr

from core.errors import TuneScopeError

F = TypeVar("F", bound=Callable[..., Any])
_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s/'\"`:;,()<>\[\]{}|]+){2,}/?")


def without_paths(message: str) -> str:
    """``message`` with each absolute path (two parts or more) replaced by its last part."""
    return _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], message)


def scrubbed(value: Any) -> Any:
    """``value`` (JSON-like data) with :func:`without_paths` applied to every text in it."""
    if isinstance(value, str):
        return without_paths(value)
    if isinstance(value, dict):
        return {key: scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrubbed(item) for item in value)
    return value


def published(fn: F, admin: Callable[[], bool]) -> F:
    """An endpoint whose answers name no server path (:func:`scrubbed`) unless ``admin()`` says the caller is the
    server's admin."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        answer = fn(*args, **kwargs)
        return answer if admin() else scrubbed(answer)

    return wrapper  # type: ignore[return-value]


def friendly_errors(fn: F) -> F:
    """Show core's typed errors as a ``gr.Error`` popup instead of a traceback, without server paths."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TuneScopeError as exc:
            raise gr.Error(without_paths(str(exc)), print_exception=False) from exc

    return wrapper  # type: ignore[return-value]
