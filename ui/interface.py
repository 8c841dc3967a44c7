"""Assemble the six tabs into one ``gr.Blocks`` app, the session's saved choices and the public API.

One ``ui.api.endpoints.Api`` serves the tabs and is published as the public API (``register``). The
session's choices are kept in ``gr.BrowserState`` (encrypted with the app's secret): the data (upload id
and columns), the base model for training, the model in view, the watched run and the open tab. On page
load they are checked again (``ui.api.session``) and restored, so a reload shows what the user chose.
Shared between tabs only through these states; each tab is one class in ``ui.tabs.<tab>.tab``.
``launch_kwargs(demo)`` adds what the served app needs around Gradio: the gate that serves each download to
its owner only (``ui.api.downloads``) and the cleanup sweep (``ui.api.housekeeping``).
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from ui.api.access import Access, Limits
from ui.api.downloads import DownloadGate
from ui.api.endpoints import Api, register
from ui.api.fonts import FontRoute, page_css
from ui.api.limits import HEAVY
from ui.api.session import DEFAULT, TABS, Places, browser_secret
from ui.i18n.languages import CHOICES, RESTORE_JS, SWITCH_JS, gradio_i18n, tr
from ui.i18n.localise import localise
from ui.tabs.attention.tab import AttentionTab
from ui.tabs.data.tab import DataTab
from ui.tabs.model.tab import ModelTab
from ui.tabs.predict.tab import PredictTab
from ui.tabs.runs.tab import RunsTab
from ui.tabs.train.tab import TrainTab

CSS_PATH = Path(__file__).resolve().parent.parent / "assets" / "style.css"
TITLE = "TuneScope"
GRADIO_CACHE_SWEEP = (600, 3600)  # every 10 minutes, Gradio's own temporary files older than an hour go
_SERVED: weakref.WeakKeyDictionary[gr.Blocks, Api] = weakref.WeakKeyDictionary()  # each built app's operations
TAB_LABELS = {"model": "1 · Model", "data": "2 · Data", "train": "3 · Train", "attention": "4 · Attention",
              "predict": "5 · Predict", "runs": "6 · Runs"}


def _states(secret: str, model: str) -> dict[str, Any]:
    def saved(name: str, default: Any) -> Any:
        return gr.BrowserState(default, storage_key=f"tunescope-{name}", secret=secret)

    return {"data": saved("data", None), "base": saved("base", DEFAULT), "view": saved("view", model),
            "run": saved("run", None), "tab": saved("tab", "model")}


def _header() -> gr.Dropdown:
    """The title and the language menu (English, Simplified Chinese, or the browser's: ``ui.i18n``)."""
    with gr.Row(equal_height=True):
        gr.Markdown("# TuneScope\nFine-tune and inspect transformer text classifiers — load a model, "
                    "add labelled data, train with live curves, look inside the attention heads, predict.",
                    elem_id="tunescope-title")
        language = gr.Dropdown(CHOICES, value="auto", label="Language / 语言", scale=0, min_width=160,
                               elem_id="tunescope-language")
    return language


def _wire_language(demo: gr.Blocks, language: gr.Dropdown, tab_views: dict[str, Any],
                   redraws: list[tuple[Any, Any, list[Any]]]) -> None:
    """The menu sets the page's language and the cookie that tells the server which language to answer in;
    on load it shows the saved choice and applies it. Gradio does not redraw the tab buttons when the
    language changes, so the server sends their labels again; and every ``(handler, inputs, outputs)`` of
    ``redraws`` (what the page load drew: model, data report, run, runs table, sweep; and the Attention and
    Predict tabs' lines naming the model in view) runs again, so the
    text the server made is redrawn in the new language without a reload (the cookie is set before)."""
    def relabel() -> dict[Any, Any]:
        return {tab: gr.Tab(label=tr(TAB_LABELS[tab_id])) for tab_id, tab in tab_views.items()}

    tabs = list(tab_views.values())
    switched = language.input(None, language, language, js=SWITCH_JS, api_visibility="private").then(
        relabel, None, tabs, queue=False, api_visibility="private")
    for handler, inputs, outputs in redraws:
        switched.then(handler, inputs, outputs, api_visibility="private")
    demo.load(None, None, language, js=RESTORE_JS, api_visibility="private").then(
        None, language, language, js=SWITCH_JS, api_visibility="private").then(
        relabel, None, tabs, queue=False, api_visibility="private")


def _wire_playground(model_tab: ModelTab, attention: AttentionTab, tabs: gr.Tabs) -> None:
    """The Model tab's *Attention of this position*: the Attention tab opens on that text and token."""
    target = model_tab.attention_target
    target.change(attention.open_position, target, [attention.text, attention.pair, attention.view, attention.focus],
                  api_visibility="private").then(
        lambda chosen: gr.Tabs(selected="attention") if chosen else gr.skip(), target, tabs,
        api_visibility="private").then(attention.on_show, attention.inputs, attention.outputs,
                                       **HEAVY, api_visibility="private")


def _restore_panels(demo: gr.Blocks, panels: list[Any]) -> list[tuple[Any, None, list[Any]]]:
    """On page load, each panel's account-specific choices (the page is built for no account); their redraws."""
    redraws = [(panel.restore, None, panel.restore_outputs) for panel in panels]
    for redraw in redraws:
        demo.load(*redraw, api_visibility="private")
    return redraws


def build_app(data: str | None = None, model: str = "default", runs_root: str | None = None,
              folders: list[str] | tuple[str, ...] = (), access: Access | None = None,
              limits: Limits | None = None) -> gr.Blocks:
    """The TuneScope app: ``data`` preloaded, ``model`` (a model reference) in view, ``folders`` the model folders
    clients may choose, ``access`` the accounts and read-only rule, ``limits`` what one account may hold."""
    api = Api(Places.at(runs_root, folders), access, limits)
    with gr.Blocks(title=TITLE, delete_cache=GRADIO_CACHE_SWEEP) as demo:
        language = _header()
        state = _states(browser_secret(api.context.places), model)
        with gr.Tabs(selected="model") as tabs:
            tab_views = {}
            for tab_id, label in TAB_LABELS.items():
                with gr.Tab(label, id=tab_id) as tab_views[tab_id]:
                    if tab_id == "model":
                        model_tab = ModelTab(api, state)
                    elif tab_id == "data":
                        data_tab = DataTab(api, state, data)
                    elif tab_id == "train":
                        train_tab = TrainTab(api, state)
                    elif tab_id == "attention":
                        attention_tab = AttentionTab(api, state)
                    elif tab_id == "predict":
                        predict_tab = PredictTab(api, state, {"text": attention_tab.text, "pair": attention_tab.pair,
                                                              "tabs": tabs})
                    else:
                        runs_tab = RunsTab(api, state)
        for tab_id, tab in tab_views.items():
            tab.select(lambda t=tab_id: t, None, state["tab"], api_visibility="private")
        tab_views["runs"].select(runs_tab.on_refresh, None, runs_tab.listing_outputs, api_visibility="private")
        register(api)
        _wire_playground(model_tab, attention_tab, tabs)

        def restore_choices(values: dict[Any, Any]) -> dict[Any, Any]:
            """First and fast (no model loading), so it lands before the user's first click: the open tab
            and the checked model choices."""
            base = api.models.usable_ref(values[state["base"]]) or DEFAULT
            view = api.models.usable_ref(values[state["view"]]) or api.models.usable_ref(model) or DEFAULT
            saved = values[state["tab"]]  # only a tab other than Model: a click made before this lands stays
            tab = gr.Tabs(selected=saved) if saved in TABS and saved != "model" else gr.skip()
            return {tabs: tab, state["base"]: base, state["view"]: view}

        def restore_views(values: dict[Any, Any]) -> dict[Any, Any]:
            """Then what needs models and files: the model description, the data report, the watched run."""
            base = values[state["base"]]
            return {**model_tab.describe(values[state["view"]]), **model_tab.restore_runs(),
                    **data_tab.restore(values[state["data"]], base), **train_tab.restore(values[state["run"]], base),
                    **runs_tab.listing()}

        outputs = [model_tab.description, model_tab.facts, model_tab.run, *data_tab.outputs,
                   *train_tab.restore_outputs, *runs_tab.listing_outputs]
        panels = _restore_panels(demo, [train_tab.sweep_panel, train_tab.compare_panel, runs_tab.comparisons])
        views = (restore_views, set(state.values()), list(dict.fromkeys(outputs)))
        demo.load(restore_choices, set(state.values()), [tabs, state["base"], state["view"]], queue=False,
                  api_visibility="private").then(*views, api_visibility="private")
        redraws = [views, panels[0], *attention_tab.redraws, *predict_tab.redraws]
        _wire_language(demo, language, tab_views, redraws)
    localise(demo)
    _SERVED[demo] = api
    return demo


def launch_kwargs(demo: gr.Blocks | None = None) -> dict:
    """Arguments for ``demo.launch`` shared by app.py and the tests (Gradio 6 takes css/theme here); for an app of
    :func:`build_app`, also the download gate and the cleanup sweep."""
    kwargs: dict[str, Any] = {
        "css": page_css(),  # the CJK font's @font-face (ui.api.fonts), before assets/style.css
        "css_paths": [CSS_PATH] if CSS_PATH.exists() else None,
        "theme": gr.themes.Soft(primary_hue="blue"),
        "max_file_size": "500mb",
        "show_error": True,
        "i18n": gradio_i18n(),
    }
    kwargs["app_kwargs"] = {"middleware": [Middleware(FontRoute)]}  # serves the CJK font with the page
    api = _SERVED.get(demo) if demo is not None else None
    if api is not None:
        kwargs["app_kwargs"] = {"middleware": [Middleware(FontRoute),
                                               Middleware(DownloadGate, downloads=api.context.downloads)],
                                "lifespan": api.housekeeping.lifespan}
    return kwargs
