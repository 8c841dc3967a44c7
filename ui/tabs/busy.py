"""Buttons that start work answer at once, and never queue the same heavy job twice.

:func:`busy` wires a trigger (``button.click``, ``text.submit``…) as three events: a quick unqueued step that
disables the buttons that start the work (and shows the component the result will appear in, so its progress
and ETA are visible where the user is looking), the work itself as a queued event, and a quick step that gives
the buttons back whether the work succeeded, failed or was cancelled (wired as ``.then`` and ``.failure``: the
page does not run a ``.then`` after an error). A disabled button cannot be clicked
again, so five clicks start one job. A ``cancel`` button is enabled only while the work runs;
:func:`cancel_button` wires it to stop the events (``cancels=``) and to ask the running work to stop
(``ui.api.limits.request_cancel``, checked by the work between its steps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from ui.api.limits import request_cancel

QUICK = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}


def _updates(buttons: Sequence[Any], working: bool, cancel: Any = None, show: Sequence[Any] = ()) -> dict[Any, Any]:
    updates: dict[Any, Any] = {button: gr.update(interactive=not working) for button in buttons}
    if cancel is not None:
        updates[cancel] = gr.update(interactive=working)
    if working:
        updates.update({component: gr.update(visible=True) for component in show})
    return updates


def busy(trigger: Callable[..., Any], buttons: Sequence[Any], fn: Callable[..., Any], inputs: Any, outputs: Any, *,
         cancel: Any = None, show: Sequence[Any] = (), **kwargs: Any) -> Any:
    """Wire ``trigger`` to disable ``buttons`` at once (and enable ``cancel``, show ``show``), run ``fn`` queued
    (``kwargs`` go to that event: ``api_name``, ``concurrency_id``…), then give the buttons back; the work's event."""
    buttons = list(buttons)
    quiet = [*buttons, *([cancel] if cancel is not None else []), *show]
    first = trigger(lambda: _updates(buttons, True, cancel, show), None, quiet, **QUICK)
    work = first.then(fn, inputs, outputs, **{"trigger_mode": "once", **kwargs})
    for after in (work.then, work.failure):  # Gradio's page runs a .then after an error only when told so too
        after(lambda: _updates(buttons, False, cancel), None, quiet, **QUICK)
    return work


def cancel_button(cancel: Any, events: Sequence[Any], buttons: Sequence[Any],
                  stop: Callable[..., Any] = request_cancel) -> None:
    """``cancel`` stops ``events`` (queued ones never start; running ones are asked to stop through ``stop``, which
    receives the request) and gives ``buttons`` back."""
    buttons = list(buttons)

    def on_cancel(request: gr.Request = None) -> dict[Any, Any]:
        stop(request)
        return _updates(buttons, False, cancel)

    cancel.click(on_cancel, None, [*buttons, cancel], cancels=list(events), **QUICK)
