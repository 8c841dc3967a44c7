"""Models: load one and describe it (``/load_model``), check a saved model reference, whether the
embedded decoder is installed, what the Model tab's playground can offer for a model (fill-mask only with a
trained language-model head) and whether its classifier is trained.

A model is named by a model reference (``ui.api.session``): ``default``, ``hub:<id>``, ``folder:<path>``
(an offered folder), ``run:<run id>`` (a run the caller may see) or ``smollm2``. Loading is cached and shared by every session
(``core.inference.loading``); nothing here changes a loaded model.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.errors import TuneScopeError
from core.inference.loading import has_trained_head
from core.inference.sentences import ships_lm_head
from core.modelref import source_of
from core.models import describe_model, is_decoder, load_model_config
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.session import smollm2_installed as smollm2_installed


class Models:
    """Loading and describing models, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def load_model(self, model: str = "default") -> dict[str, Any]:
        """Load a model ('default', 'hub:<id>', 'folder:<path>' or 'run:<run id>') and describe it."""
        loaded = self.context.load(model)
        return {**describe_model(loaded.model, loaded.source), "model": model, "warnings": loaded.warnings}

    @friendly_errors
    def describe(self, model: str | None) -> dict[str, Any]:
        """Name, architecture, size, device and labels of a model (loading it when it is not loaded yet)."""
        loaded = self.context.load(model)
        return describe_model(loaded.model, loaded.source)

    def playground(self, model: str | None) -> str:
        """What the Model tab's playground offers for a model: 'fill' (fill-mask) or 'next' (a decoder's next
        token) when it ships a trained language-model head, else 'similarity': never random guesses."""
        try:
            source = source_of(self.context.source(model))
            if not ships_lm_head(source):
                return "similarity"
            return "next" if source.kind == "gguf" or is_decoder(load_model_config(source)) else "fill"
        except (gr.Error, TuneScopeError, OSError, ValueError):  # unusable: the playground's answer explains it
            return "fill"

    def untrained(self, model: str | None) -> bool:
        """True when the model in view has no trained classification head (its labels would be random)."""
        try:
            source = source_of(self.context.source(model))
        except (gr.Error, TuneScopeError):  # an unusable reference is reported where it is used
            return False
        return source.kind in ("default", "hub", "folder", "gguf") and not has_trained_head(source)

    def usable_ref(self, ref: Any) -> str | None:
        """``ref`` when it still names a usable model reference here, else None (for restoring a session)."""
        return self.context.usable(ref)
