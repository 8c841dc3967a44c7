"""Progress events for the few-shot (SetFit) recipe, in the format of ``core.training.callback``.

SetFit trains the sentence-embedding body with a sentence-transformers ``Trainer`` that logs
``embedding_loss``; this callback writes those as the usual ``step`` events (so the Train tab's live view
and the loss curve work unchanged), honours stop requests, and keeps the body trainer from evaluating
or checkpointing (the few-shot recipe scores its final classifier itself, see ``core.fewshot.train``).
"""

from __future__ import annotations

from typing import Any

from core.training.callback import EventCallback


class FewShotEvents(EventCallback):
    """:class:`EventCallback` for SetFit's body training: ``embedding_loss`` is the step loss, no checkpoints."""

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        super().on_step_end(args, state, control, **kwargs)
        control.should_evaluate = False  # nothing to evaluate pairs on: the classifier is scored at the end
        control.should_save = False  # a few-shot run is short: no resumable checkpoints

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = dict(logs or {})
        if "embedding_loss" in logs:
            logs["loss"] = logs.pop("embedding_loss")
        super().on_log(args, state, control, logs=logs, **kwargs)
