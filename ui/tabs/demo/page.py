"""Presenter mode: ``python app.py --demo RUN [RUN ...]`` shows one or more trained runs to stakeholders.

A run's name and headline metrics, a large input box, the probability bars, the highlighted evidence,
and curated examples from its validation set (the most confident correct one per class, and the most
instructive error). Nothing here can train, stop, delete, upload a model or browse files: the page
offers only the runs the admin named, and its only API endpoint is ``/predict`` for those runs.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from core import runs
from core.attention.attributions import attribution_html, integrated_gradients
from core.errors import TuneScopeError
from ui.common import friendly_errors, md_escape
from ui.limits import checked_text, guard
from ui.session import Places

TITLE = "TuneScope · demo"


def headline(run_dir: Any) -> str:
    """The run's name and headline metrics, as markdown."""
    meta = runs.read_json(runs.RunPaths(run_dir).root / "meta.json", {}) or {}
    metrics = runs.read_json(runs.RunPaths(run_dir).metrics, {}) or {}
    name = md_escape(meta.get("name") or run_dir.name)
    labels = ", ".join(f"**{md_escape(label)}**" for label in metrics.get("labels", []))
    if not metrics:
        return f"## {name}\nThis run has no final scores yet."
    return (f"## {name}\nSorts a text into {labels}. On {metrics.get('samples', '?')} held-out examples it was "
            f"right **{metrics['accuracy']:.1%}** of the time (macro F1 {metrics['f1_macro']:.3f}).")


def curated_examples(run_dir: Any, per_class: int = 1) -> list[list[str]]:
    """[text, why] pairs: the most confident correct validation example per class, and the worst error."""
    from core.inference.evaluate import evaluate_run

    evaluation = evaluate_run(run_dir)
    report = evaluation.report()
    examples: list[list[str]] = []
    for label in report["labels"]:  # multi-label: a true positive of each label
        for row in evaluation.examples(label, "tp" if report.get("multi_label") else label, limit=per_class):
            examples.append([row["text"], f"a clear '{label}'"])
    for row in evaluation.misclassified(limit=1):
        examples.append([row["text"], f"a mistake: it is '{row['true']}', the model says '{row['predicted']}'"])
    return examples


class Demo:
    """The presenter page for the admin's runs."""

    def __init__(self, run_ids: list[str], places: Places) -> None:
        from core.inference import load_for_inference

        self.places = places
        self.folders = {run_id: runs.run_folder(run_id, places.root) for run_id in run_ids}
        for folder in self.folders.values():  # refuse at start-up, not in front of the audience
            load_for_inference(str(folder))
        self.load = lambda run_id: load_for_inference(str(self.folders[run_id]))
        self.examples = {run_id: self.safe_examples(folder) for run_id, folder in self.folders.items()}

    @staticmethod
    def safe_examples(folder: Any) -> list[list[str]]:
        try:
            return curated_examples(folder)
        except TuneScopeError:
            return []

    def check(self, run_id: str | None) -> str:
        if run_id not in self.folders:
            raise gr.Error("This demo shows only the runs it was started with.")
        return run_id

    @friendly_errors
    def predict(self, text: str, run_id: str | None = None) -> dict[str, Any]:
        """Class probabilities and the highlighted evidence for one text, with one of the demo's runs."""
        from core.inference import predict_texts

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

    def build(self) -> gr.Blocks:
        first = next(iter(self.folders))
        with gr.Blocks(title=TITLE) as demo:
            choice = gr.Dropdown(list(self.folders), value=first, label="Model", visible=len(self.folders) > 1)
            header = gr.Markdown(headline(self.folders[first]))
            text = gr.Textbox(label="Your text", lines=5, placeholder="Type or paste a text…",
                              elem_classes=["ts-demo-input"])
            go = gr.Button("Classify", variant="primary", size="lg")
            with gr.Row():
                bars = gr.Label(label="How sure the model is", num_top_classes=10)
                evidence = gr.HTML()
            examples = gr.Dataset(components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
                                  samples=self.examples[first], label="Try these (from the held-out data)",
                                  headers=["text", "why it is interesting"])

            def show(text_value: str, run_id: str) -> dict[Any, Any]:
                result = self.predict(text_value, run_id)
                return {bars: result["scores"], evidence: result["evidence"]}

            def switch(run_id: str) -> dict[Any, Any]:
                run_id = self.check(run_id)
                return {header: headline(self.folders[run_id]), examples: gr.Dataset(samples=self.examples[run_id]),
                        bars: None, evidence: ""}

            for trigger in (go.click, text.submit):
                trigger(show, [text, choice], [bars, evidence], api_visibility="private", concurrency_id="heavy",
                        concurrency_limit=2)
            choice.change(switch, choice, [header, examples, bars, evidence], api_visibility="private")
            examples.click(lambda sample: sample[0], examples, text, api_visibility="private")
            gr.api(self.predict, api_name="predict", concurrency_id="heavy", concurrency_limit=2)
        from ui.localise import localise

        localise(demo)  # Chinese for Chinese browsers (launch_kwargs carries the catalogue)
        return demo
