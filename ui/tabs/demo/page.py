"""Presenter mode: ``python app.py --demo RUN [RUN ...]`` shows one or more trained runs to stakeholders.

A run's name and headline metrics, a large input box, the probability bars, the highlighted evidence,
and curated examples from its validation set (the most confident correct one per class, and the most
instructive error). Nothing here can train, stop, delete, upload a model or browse files: the page
offers only the runs the admin named, and its only API endpoint is ``/predict`` for those runs
(``ui.api.presenter``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.api.presenter import Presenter
from ui.api.session import Places
from ui.i18n.localise import localise
from ui.tabs.busy import busy
from ui.tabs.format import md_escape

TITLE = "TuneScope · demo"


def headline(facts: dict[str, Any]) -> str:
    """The run's name and headline metrics (``Presenter.facts``), as markdown."""
    metrics = facts["metrics"]
    name = md_escape(facts["name"])
    labels = ", ".join(f"**{md_escape(label)}**" for label in metrics.get("labels", []))
    if not metrics:
        return f"## {name}\nThis run has no final scores yet."
    return (f"## {name}\nSorts a text into {labels}. On {metrics.get('samples', '?')} held-out examples it was "
            f"right **{metrics['accuracy']:.1%}** of the time (macro F1 {metrics['f1_macro']:.3f}).")


class Demo:
    """The presenter page for the admin's runs."""

    def __init__(self, run_ids: list[str], places: Places) -> None:
        self.presenter = Presenter(run_ids, places)

    def build(self) -> gr.Blocks:
        presenter = self.presenter
        first = presenter.run_ids[0]
        with gr.Blocks(title=TITLE) as demo:
            choice = gr.Dropdown(presenter.run_ids, value=first, label="Model", visible=len(presenter.run_ids) > 1)
            header = gr.Markdown(headline(presenter.facts(first)))
            text = gr.Textbox(label="Your text", lines=5, placeholder="Type or paste a text…",
                              elem_classes=["ts-demo-input"])
            go = gr.Button("Classify", variant="primary", size="lg")
            with gr.Row():
                bars = gr.Label(label="How sure the model is", num_top_classes=10)
                evidence = gr.HTML()
            examples = gr.Dataset(components=[gr.Textbox(visible=False), gr.Textbox(visible=False)],
                                  samples=presenter.examples[first], label="Try these (from the held-out data)",
                                  headers=["text", "why it is interesting"])

            def show(text_value: str, run_id: str) -> dict[Any, Any]:
                result = presenter.predict(text_value, run_id)
                return {bars: result["scores"], evidence: result["evidence"]}

            def switch(run_id: str) -> dict[Any, Any]:
                run_id = presenter.check(run_id)
                return {header: headline(presenter.facts(run_id)), examples: gr.Dataset(samples=presenter.examples[run_id]),
                        bars: None, evidence: ""}

            for trigger in (go.click, text.submit):  # the button waits (disabled) while it classifies
                busy(trigger, [go], show, [text, choice], [bars, evidence], api_visibility="private",
                     concurrency_id="heavy", concurrency_limit=2)
            choice.change(switch, choice, [header, examples, bars, evidence], api_visibility="private")
            examples.click(lambda sample: sample[0], examples, text, api_visibility="private")
            gr.api(presenter.predict, api_name="predict", concurrency_id="heavy", concurrency_limit=2)
        localise(demo)  # Chinese for Chinese browsers (launch_kwargs carries the catalogue)
        return demo
