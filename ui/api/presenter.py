"""Presenter mode's operations: the admin's runs only, their headline facts, curated examples, and one
``/predict`` (probabilities and the highlighted evidence).

Nothing here can train, stop, delete, upload a model or browse files: a :class:`Presenter` knows only the
runs the admin named (each is loaded once at start-up, so a broken run is refused before the audience sees
it). The page itself is ``ui.tabs.demo.page``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from core import runs
from core.attention.attributions import attribution_html, integrated_gradients
from core.errors import TuneScopeError
from core.inference import load_for_inference, predict_texts
from core.inference.evaluate import evaluate_run
from ui.api.errors import friendly_errors
from ui.api.limits import checked_text, guard
from ui.api.session import Places


def curated_examples(run_dir: Any, per_class: int = 1) -> list[list[str]]:
    """[text, why] pairs: the most confident correct validation example per class, and the worst error."""
    evaluation = evaluate_run(run_dir)
    report = evaluation.report()
    examples: list[list[str]] = []
    for label in report["labels"]:  # multi-label: a true positive of each label
        for row in evaluation.examples(label, "tp" if report.get("multi_label") else label, limit=per_class):
            examples.append([row["text"], f"a clear '{label}'"])
    for row in evaluation.misclassified(limit=1):
        examples.append([row["text"], f"a mistake: it is '{row['true']}', the model says '{row['predicted']}'"])
    return examples


def _safe_examples(folder: Path) -> list[list[str]]:
    try:
        return curated_examples(folder)
    except TuneScopeError:
        return []


class Presenter:
    """The admin's runs for presenter mode: checked and loaded once, then only predicted with."""

    def __init__(self, run_ids: list[str], places: Places) -> None:
        self.places = places
        self.folders = {run_id: runs.run_folder(run_id, places.root) for run_id in run_ids}
        for folder in self.folders.values():  # refuse at start-up, not in front of the audience
            load_for_inference(str(folder))
        self.examples = {run_id: _safe_examples(folder) for run_id, folder in self.folders.items()}

    @property
    def run_ids(self) -> list[str]:
        return list(self.folders)

    def check(self, run_id: str | None) -> str:
        if run_id not in self.folders:
            raise gr.Error("This demo shows only the runs it was started with.")
        return run_id

    def load(self, run_id: str) -> Any:
        return load_for_inference(str(self.folders[run_id]))

    def facts(self, run_id: str) -> dict[str, Any]:
        """A run's name (its own, else its id) and final metrics ({} before it finished), for the headline."""
        folder = self.folders[self.check(run_id)]
        meta = runs.read_json(runs.RunPaths(folder).root / "meta.json", {}) or {}
        return {"name": meta.get("name") or folder.name, "metrics": runs.read_json(runs.RunPaths(folder).metrics, {}) or {}}

    @friendly_errors
    def predict(self, text: str, run_id: str | None = None) -> dict[str, Any]:
        """Class probabilities and the highlighted evidence for one text, with one of the demo's runs."""
        run_id = self.check(run_id or next(iter(self.folders)))
        text = checked_text(text)
        if not text.strip():
            raise gr.Error("Type a text to classify.")
        loaded = self.load(run_id)
        result = predict_texts(loaded, [text])[0]
        found = integrated_gradients(loaded.model, loaded.tokenizer, text, target=result["label"], n_steps=16,
                                     max_length=256, should_stop=guard(20))
        evidence = attribution_html(found.tokens, found.scores, found.special,
                                    f"Why '{result['label']}': green words pushed towards it, red ones away")
        return {"label": result["label"], "scores": result["scores"], "evidence": evidence}
