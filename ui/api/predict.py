"""Predictions: one text to class probabilities (``/predict``), the evidence for a label, the most similar
training examples of a run (``/similar``), the fill-mask / next-token playground (``/fill``), sentence
similarity (the playground of a model without a trained language-model head), and a whole file to a CSV.

Texts are bounded and cleaned (``ui.api.limits.checked_text``); the evidence is integrated gradients on
request-sized work that stops after 20 s or when its page closes, and counts as one of the account's heavy
jobs. Models are named by model reference (a run: one the caller may see); a predicted file is written into
the caller's download area (``ui.api.downloads``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from core.attention.attributions import attribution_html, integrated_gradients
from core.data import Columns
from core.data.readable import unreadable_warnings
from core.data.uploads import display_name
from core.errors import TuneScopeError
from core.inference import predict_file, predict_texts
from core.inference.fill import fill as fill_tokens
from core.inference.sentences import sentence_similarity
from core.inference.similar import index_folder, similar_examples
from ui.api.context import Context
from ui.api.errors import friendly_errors
from ui.api.limits import checked_text, give_back_memory, guard, stoppable
from ui.api.session import RUN, ModelRef, run_ref
from ui.i18n.languages import trf

PREVIEW_ROWS = 50  # rows of a predicted file shown in the page


class Predictions:
    """Prediction operations, over one app's context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @friendly_errors
    def predict(self, text: str, model: str = "default", text_pair: str = "") -> dict[str, Any]:
        """Class probabilities for one text: ``{"label", "confidences": [{"label", "confidence"}], "warnings"}``
        (``warnings``: the model's, and the sentence saying it cannot read the text's script); a multi-label
        model adds ``multi_label``, ``labels`` (the chosen ones, maybe none) and ``thresholds`` ({label: threshold})."""
        text, text_pair = checked_text(text), checked_text(text_pair, "second text")
        if not text.strip():
            raise gr.Error("Type a text to classify.")
        loaded = self.context.load(model)
        result = predict_texts(loaded, [text], [text_pair] if text_pair.strip() else None)[0]
        ranked = sorted(result["scores"].items(), key=lambda item: -item[1])
        name = ModelRef.parse(model).name
        unreadable = unreadable_warnings([text, text_pair], loaded.tokenizer, name)  # a text it cannot read: said
        out = {"label": result["label"], "confidences": [{"label": k, "confidence": v} for k, v in ranked],
               "model": name, "warnings": loaded.warnings + unreadable}
        if loaded.multi_label:
            out.update(multi_label=True, labels=result["labels"], thresholds=result["thresholds"])
        return out

    @friendly_errors
    def explain(self, text: str, model: str | None, text_pair: str, label: str) -> str:
        """The tokens that drove ``label``, highlighted (integrated gradients, on request-sized work): of its
        probability, or for a multi-label model of its logit."""
        loaded = self.context.load(model or "default")
        pair = checked_text(text_pair) or None
        with self.context.quotas.heavy(self.context.caller()):
            found = integrated_gradients(loaded.model, loaded.tokenizer, checked_text(text), pair, label,
                                         n_steps=16, max_length=256, should_stop=guard(20))
        caption = (trf("Why '{0}': green tokens pushed towards it, red ones away", found.label)
                   if found.output == "probability" else
                   trf("Why '{0}' (its logit): green tokens pushed towards it, red ones away", found.label))
        return attribution_html(found.tokens, found.scores, found.special, caption)  # HTML: in the page's language

    @friendly_errors
    def similar(self, run_id: str, text: str, text_pair: str | None = None, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` training examples of a run closest to ``text`` (from the index stored with the run)."""
        folder = self.context.run_dir(run_id)
        if not index_folder(folder).is_dir():  # core's message names the server path: clients get the id only
            raise gr.Error(f"Run {run_id} has no similar-examples index yet (it is built in the seconds after a run "
                           "finishes; runs trained before TuneScope kept one have none): try again shortly, or the "
                           f"admin can build it with `python -m core index {run_id}`.")
        return similar_examples(self.context.load(run_ref(run_id)), folder, text, text_pair, k=k)

    def nearest(self, text: str, model: str | None, text_pair: str) -> list[dict[str, Any]] | None:
        """The most similar training examples when the model in view is a run with an index; None otherwise
        (runs trained before the index existed have none)."""
        ref = ModelRef.parse(model)
        kind, run_id = ref.kind, ref.value
        if kind != RUN:
            return None
        try:
            return self.similar(run_id, checked_text(text), checked_text(text_pair) or None)
        except (TuneScopeError, gr.Error):  # an older run without an index: no table
            return None

    @friendly_errors
    def fill(self, text: str, model: str = "default", top: int = 5) -> dict[str, Any]:
        """Top-k tokens for each [MASK] (encoders) or for the next token (decoders), ``core.inference.fill``:
        ``{"mode", "model", "tokens", "positions", "predictions": [[{"token", "probability", ...}]], "warnings"}``."""
        text = checked_text(text)
        try:
            return fill_tokens(self.context.source(model), text, int(top))
        finally:
            give_back_memory()

    @friendly_errors
    def similarity(self, text: str, others: str, model: str = "default") -> list[dict[str, Any]]:
        """How close each line of ``others`` is to ``text`` for the model's encoder, closest first (the Model tab's
        playground for a model without a trained language-model head): ``[{"text", "similarity"}]``."""
        lines = [line for line in checked_text(others, "sentences to compare with").splitlines() if line.strip()]
        try:
            return sentence_similarity(self.context.load(model or "default"), checked_text(text), lines)
        finally:
            give_back_memory()

    @friendly_errors
    def predict_file(self, path: str, text_column: str | None, model: str | None,
                     progress: Any = None) -> dict[str, Any]:
        """Predict every row of a file the browser sent (stored as an upload first) into a CSV in the caller's
        download area: its path there, first rows, the summary (with the scores when it has labels) and the
        model's labels."""
        upload = self.context.store_upload(path)
        loaded = self.context.load(model or "default")
        columns = Columns(text=(text_column or "").strip() or None)
        with self.context.download(f"{Path(display_name(upload)).stem}-predictions.csv", heavy=False) as out:
            summary = predict_file(loaded, self.context.upload_path(upload), out, columns, progress=stoppable(progress))
            preview = pd.read_csv(out, nrows=PREVIEW_ROWS)
        return {"path": str(out), "preview": preview, "summary": summary, "labels": loaded.labels}
