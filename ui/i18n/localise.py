"""Apply ``ui.i18n.languages`` to a built app: mark static strings for the browser, translate what handlers return.

:func:`mark_static` replaces every label, help text, placeholder, Markdown text, button text and choice
name that the catalogue knows by a ``gr.I18n`` marker, which the browser shows in the page's language.
:func:`translate_handlers` wraps every event handler once, after the app is built, so that what it
returns for the page — Markdown, status text, component labels, table headers, figure titles, axis
titles and legends —, what its progress bar says and the errors it raises come back in the request's
language. Public API endpoints (``gr.api``) are left alone: API clients get the English, stable text.
Values that carry ids (states, choices' values, files) are never touched.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ui.i18n.languages import CHINESE, browser_key, language, static_keys, translate, translate_title

_TEXT_ATTRS = ("label", "info", "placeholder")


def _marker(text: Any) -> Any:
    from gradio.i18n import I18nData

    return I18nData(browser_key(text)) if isinstance(text, str) and text in static_keys() else text


def mark_static(demo: Any) -> int:
    """Mark the known static strings of every component of ``demo``; returns how many were marked."""
    import gradio as gr

    marked = 0
    for block in demo.blocks.values():
        for attr in _TEXT_ATTRS:
            value = getattr(block, attr, None)
            if isinstance(value, str) and value in static_keys():
                setattr(block, attr, _marker(value))
                marked += 1
        if isinstance(block, gr.Markdown | gr.Button | gr.DownloadButton | gr.UploadButton):
            value = getattr(block, "value", None)
            if isinstance(value, str) and value.strip() in static_keys():
                block.value = _marker(value.strip())
                marked += 1
        choices = getattr(block, "choices", None)
        if isinstance(choices, list) and choices and isinstance(choices[0], tuple):
            new = [(_marker(name), value) for name, value in choices]
            marked += sum(1 for (a, _), (b, _) in zip(choices, new, strict=True) if a is not b)
            block.choices = new
    return marked


def _figure(fig: Any) -> Any:
    """A plotly figure with its title, axis titles, annotations and trace names translated."""
    try:
        data = fig.to_dict()
    except AttributeError:
        return fig
    layout = data.get("layout", {})
    for value in list(layout.values()):
        if isinstance(value, dict) and isinstance(value.get("title"), dict) and "text" in value["title"]:
            value["title"]["text"] = translate(value["title"]["text"])
    if isinstance(layout.get("title"), dict) and "text" in layout["title"]:
        layout["title"]["text"] = translate_title(layout["title"]["text"])
    for note in layout.get("annotations", []) or []:
        if isinstance(note.get("text"), str):
            note["text"] = translate(note["text"])
    for trace in data.get("data", []):
        if isinstance(trace.get("name"), str):
            trace["name"] = translate(trace["name"])
        bar = trace.get("colorbar") or {}
        if isinstance(bar.get("title"), dict) and "text" in bar["title"]:
            bar["title"]["text"] = translate(bar["title"]["text"])
    import plotly.graph_objects as go

    return go.Figure(data.get("data", []), layout, skip_invalid=True)


def _value(component: Any, value: Any) -> Any:
    """``value`` (what a handler returned for ``component``) in Chinese where it is text for people."""
    import gradio as gr
    import pandas as pd

    if isinstance(value, gr.components.Component):  # an update: translate its text properties
        given = value.constructor_args  # what Gradio sends for an update: the arguments, not the attributes
        for attr in _TEXT_ATTRS:
            text = getattr(value, attr, None)
            if isinstance(text, str):
                setattr(value, attr, translate(text))
            if isinstance(given.get(attr), str):
                given[attr] = translate(given[attr])
        if isinstance(value, gr.Markdown) and isinstance(value.value, str):
            value.value = translate(value.value)
            if isinstance(given.get("value"), str):
                given["value"] = translate(given["value"])
        return value
    if isinstance(value, dict) and value.get("__type__") == "update":
        texts = (*_TEXT_ATTRS, "value") if isinstance(component, gr.Markdown | gr.Textbox) else _TEXT_ATTRS
        return {k: translate(v) if k in texts and isinstance(v, str) else v for k, v in value.items()}
    if isinstance(component, gr.Markdown | gr.Textbox) and isinstance(value, str):
        return translate(value)
    if isinstance(component, gr.Plot) and value is not None and hasattr(value, "to_dict"):
        return _figure(value)
    if isinstance(component, gr.Dataframe) and isinstance(value, pd.DataFrame):
        return value.rename(columns={c: translate(c) for c in value.columns if isinstance(c, str)})
    return value


def _translated(outputs: list[Any], result: Any) -> Any:
    if isinstance(result, dict) and result and all(hasattr(k, "_id") for k in result):
        return {k: _value(k, v) for k, v in result.items()}
    if len(outputs) == 1:
        return _value(outputs[0], result)
    if isinstance(result, tuple | list) and len(result) == len(outputs):
        return type(result)(_value(o, v) for o, v in zip(outputs, result, strict=True))
    return result


def _translated_error(exc: Any) -> None:
    if language() == CHINESE and isinstance(exc.message, str):
        exc.message = translate(exc.message)


class _Progress:
    """A handler's ``gr.Progress`` whose descriptions ("Writing the HTML report…", "Scored 40 of 60 rows") are
    shown in the request's language, decided when the handler starts (work threads carry no request)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __call__(self, progress: Any, desc: Any = None, *args: Any, **kwargs: Any) -> Any:
        return self._inner(progress, translate(desc) if isinstance(desc, str) else desc, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _progress_in(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``args`` and ``kwargs`` with every ``gr.Progress`` made a :class:`_Progress` (Chinese requests only)."""
    import gradio as gr

    if language() != CHINESE:
        return args, kwargs
    swap = (lambda v: _Progress(v) if isinstance(v, gr.Progress) else v)  # noqa: E731
    return tuple(swap(a) for a in args), {k: swap(v) for k, v in kwargs.items()}


def _wrap(fn: Callable[..., Any], outputs: list[Any]) -> Callable[..., Any]:
    """``fn`` answering in the request's language: a plain function, a coroutine, or a (async) generator whose
    every update is translated (a streaming handler's text changes language like any other)."""
    import gradio as gr

    def out(result: Any) -> Any:
        return _translated(outputs, result) if language() == CHINESE else result

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _progress_in(args, kwargs)
            try:
                for item in fn(*args, **kwargs):
                    yield out(item)
            except gr.Error as exc:
                _translated_error(exc)
                raise
    elif inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _progress_in(args, kwargs)
            try:
                async for item in fn(*args, **kwargs):
                    yield out(item)
            except gr.Error as exc:
                _translated_error(exc)
                raise
    elif inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _progress_in(args, kwargs)
            try:
                return out(await fn(*args, **kwargs))
            except gr.Error as exc:
                _translated_error(exc)
                raise
    else:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _progress_in(args, kwargs)
            try:
                return out(fn(*args, **kwargs))
            except gr.Error as exc:
                _translated_error(exc)
                raise

    wrapper.__tunescope_localised__ = True  # type: ignore[attr-defined]
    return wrapper


def translate_handlers(demo: Any) -> int:
    """Wrap every page event handler of ``demo`` (not the public API endpoints); returns how many."""
    wrapped = 0
    for block_fn in demo.fns.values():
        fn = block_fn.fn
        if fn is None or getattr(fn, "__tunescope_localised__", False):
            continue
        if any(type(o).__name__ == "Api" for o in block_fn.outputs):  # gr.api endpoints answer in English
            continue
        block_fn.fn = _wrap(fn, list(block_fn.outputs))
        wrapped += 1
    return wrapped


def localise(demo: Any) -> dict[str, int]:
    """Mark static strings and wrap handlers; returns the counts (for tests and the log)."""
    return {"marked": mark_static(demo), "handlers": translate_handlers(demo)}
