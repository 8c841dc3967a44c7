"""Compression of a finished run (``/compress_run``, ``/compression``): an 8-bit copy or a distilled student,
and the side-by-side of a compressed run with its parent (``core.compress``).

The caller must be able to see the parent (its own run, or one shared with the lab); the new run is the caller's.
An int8 copy is made at once (one pass over the validation rows: a heavy job, counted per account); a distilled
student is a normal run and goes through the app's queue, within the account's run limits. Measuring times two
models on this machine, so it is heavy too, and its answer leaves out the model files' stamps it is keyed by.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.compress import METHODS, compress_run, compressed_from, side_by_side
from core.compress.create import DEFAULT_LAYERS
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import give_back_memory, guard
from ui.api.quotas import asked_devices
from ui.api.training import enqueue

MAX_LAYERS = 64


class Compression:
    """Compress-a-run operations, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def compress_run(self, run_id: str, method: str = "int8", layers: int = DEFAULT_LAYERS, epochs: str = "auto",
                     request: gr.Request = None) -> dict[str, Any]:
        """Make a smaller, faster run from a finished run: ``method="int8"`` (8-bit dynamic quantization for CPU
        serving, ready at once and scored on the run's validation rows) or ``"distil"`` (a student with ``layers``
        transformer layers trained on the run's data and soft labels for ``epochs``, "auto" or a number, started
        through the queue). Returns
        ``{"run_id", "method", "parent", "state"}``; follow a student with ``training_status``."""
        if method not in METHODS:
            raise gr.Error(f"method must be one of {', '.join(METHODS)}.")
        try:
            layers = int(layers)
        except (TypeError, ValueError):
            raise gr.Error("layers must be a whole number.") from None
        if not 1 <= layers <= MAX_LAYERS:
            raise gr.Error(f"layers must be between 1 and {MAX_LAYERS}.")
        self.context.require_change(request)
        parent, caller = self.context.run_dir(run_id, request), self.context.caller(request)
        root = self.context.places.root
        if method == "int8":
            check = guard()
            with self.context.quotas.heavy(caller):
                try:
                    folder = compress_run(parent, method, root, owner=caller.owner,
                                          progress=lambda done, total: check())
                finally:
                    give_back_memory()
            return {"run_id": folder.name, "method": method, "parent": parent.name, "state": "finished"}
        with self.context.quotas.run_slot(caller, asked_devices(parent)):  # a student keeps its settings
            folder = compress_run(parent, method, root, layers=layers, epochs=epochs, owner=caller.owner)
        enqueue(self.context, folder, request)  # through the queue, like every start
        return {"run_id": folder.name, "method": method, "parent": parent.name, "state": "queued"}

    @friendly_errors
    def compression(self, run_id: str, again: bool = False, request: gr.Request = None) -> dict[str, Any]:
        """A compressed run against the run it was made from, measured together on this server: per run accuracy,
        macro-F1, single-text latency (p50, p90 in ms), texts per second, size in MB and layers; with the speed-up,
        the accuracy change in points and the size ratio. Kept until a model changes (``again`` measures anew)."""
        folder = self.context.run_dir(run_id, request)
        if compressed_from(folder) is None:
            raise gr.Error(f"Run {folder.name} was not made by compressing another run: compress a finished run first.")
        parent = compressed_from(folder)["parent"]
        self.context.run_dir(parent, request)  # the caller must see the parent too
        check = guard()
        with self.context.quotas.heavy(self.context.caller(request)):
            try:
                result = side_by_side(folder, progress=lambda done, total: check(), again=bool(again))
            finally:
                give_back_memory()
        return {key: value for key, value in result.items() if key != "key"}
