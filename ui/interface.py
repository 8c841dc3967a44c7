"""Assemble the five tabs into one ``gr.Blocks`` app and wire the page-load hooks."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ui import attention_tab, data_tab, model_tab, predict_tab, train_tab

CSS_PATH = Path(__file__).resolve().parent.parent / "assets" / "style.css"
TITLE = "TuneScope"


def build_app(data: str | None = None, model: str = "default", runs_root: str | None = None) -> gr.Blocks:
    """The TuneScope app; ``data`` is preloaded in the Data tab, ``model`` selected in the Model tab."""
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown("# TuneScope\nFine-tune and inspect transformer text classifiers — load a model, "
                    "add labelled data, train with live curves, look inside the attention heads, predict.")
        model_source = gr.State(model)
        data_choice = gr.State(None)
        with gr.Tabs():
            with gr.Tab("1 · Model", id="model"):
                description, facts = model_tab.build(model_source, runs_root)
            with gr.Tab("2 · Data", id="data"):
                load_sample, data_outputs = data_tab.build(data_choice, model_source, runs_root, data)
            with gr.Tab("3 · Train", id="train"):
                reattach, train_outputs = train_tab.build(model_source, data_choice, runs_root)
            with gr.Tab("4 · Attention", id="attention"):
                attention_tab.build(model_source)
            with gr.Tab("5 · Predict", id="predict"):
                predict_tab.build(model_source, runs_root)
        demo.load(model_tab.describe_current, model_source, [description, facts], api_visibility="private")
        if load_sample is not None:
            demo.load(load_sample, model_source, data_outputs, api_visibility="private")
        demo.load(reattach, None, train_outputs, api_visibility="private")
        model_source.change(model_tab.describe_current, model_source, [description, facts], api_visibility="private")
    return demo


def launch_kwargs() -> dict:
    """Arguments for ``demo.launch`` shared by app.py and the tests (Gradio 6 takes css/theme here)."""
    return {
        "css_paths": [CSS_PATH] if CSS_PATH.exists() else None,
        "theme": gr.themes.Soft(primary_hue="blue"),
        "max_file_size": "500mb",
        "show_error": True,
    }
