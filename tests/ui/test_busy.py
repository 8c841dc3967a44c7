"""Clicks answer at once and heavy work can be stopped (``ui.tabs.busy``, ``ui.api.limits``); the Model tab's
playground offers only what the model in view can answer (``core.inference.sentences``).

The browser test replaces head importance with work that runs until it is told to stop, selects that view,
sees its progress, checks that another tab still answers meanwhile, clicks Cancel and waits (polling) until the
work itself has stopped.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from core.errors import Cancelled
from tests.polling import CEILING, poll_until
from ui.api import limits
from ui.tabs.busy import busy, cancel_button


def _guard_for(session: str):  # a guard made inside a request of that page's session
    from gradio.context import LocalContext

    token = LocalContext.request.set(SimpleNamespace(session_hash=session))
    try:
        return limits.guard()
    finally:
        LocalContext.request.reset(token)


def test_cancel_stops_only_the_work_its_page_started_before() -> None:
    mine, other = _guard_for("page-a"), _guard_for("page-b")
    mine(), other()  # nothing asked yet
    assert limits.request_cancel(SimpleNamespace(session_hash="page-a"))
    with pytest.raises(Cancelled, match="Stopped"):
        mine()
    other()  # another page's work goes on
    _guard_for("page-a")()  # work started after the cancel goes on too
    assert not limits.request_cancel(None)  # no page: nothing to stop


def test_busy_disables_at_once_queues_once_and_gives_back() -> None:
    with gr.Blocks() as demo:
        go, stop, out = gr.Button("Go"), gr.Button("Stop"), gr.Textbox()
        work = busy(go.click, [go], lambda: "done", None, out, cancel=stop, show=[out])
        cancel_button(stop, [work], [go], lambda request: None)
    deps = demo.config["dependencies"]
    quick = [d for d in deps if not d["queue"]]
    queued = [d for d in deps if d["queue"]]
    assert len(queued) == 1 and queued[0]["trigger_mode"] == "once"
    assert len(quick) >= 3  # disable, give back, cancel
    starting = quick[0]
    assert {go._id, stop._id, out._id} <= set(starting["outputs"])
    assert any(work["id"] in (d.get("cancels") or []) or queued[0]["id"] in (d.get("cancels") or []) for d in deps)


def test_runs_report_and_exports_show_their_download_under_the_buttons_at_once(tmp_path: Path) -> None:
    from ui.api.endpoints import Api
    from ui.api.session import DEFAULT, Places
    from ui.tabs.runs.tab import RunsTab

    with gr.Blocks() as demo:
        tab = RunsTab(Api(Places.at(tmp_path / "runs")), {"view": gr.State(DEFAULT), "base": gr.State(DEFAULT)})
    files = {tab.report._id, tab.export_zip._id, tab.export_onnx._id}
    for button in (tab.report, tab.export_zip, tab.export_onnx):
        deps = [d for d in demo.config["dependencies"] if any(t[0] == button._id for t in d["targets"])]
        first = next(d for d in deps if not d["queue"])  # the unqueued first step of the click
        assert files | {tab.download._id} <= set(first["outputs"])
    with pytest.raises(gr.Error, match="Select a run"):
        tab.on_report(None)


def test_playground_offers_similarity_for_a_model_without_a_trained_lm_head(tmp_path: Path) -> None:
    from transformers import BertConfig, BertForMaskedLM

    from core.inference import load_for_inference
    from core.inference.sentences import sentence_similarity, ships_lm_head
    from tests.tiny import make_tiny_model

    assert not ships_lm_head("default")  # the embedded MiniLM: encoder only
    assert not ships_lm_head(str(make_tiny_model(tmp_path / "clf", "bert", labels=["a", "b"])))
    masked = tmp_path / "mlm"
    BertForMaskedLM(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=32)).save_pretrained(masked)
    assert ships_lm_head(str(masked))
    ranked = sentence_similarity(load_for_inference("default"), "The capital of France is Paris.",
                                 ["I loved this film.", "France's capital city is Paris.", "The train was late."])
    assert ranked[0]["text"] == "France's capital city is Paris." and ranked[0]["similarity"] > 0.8


def test_model_tab_offers_similarity_and_predict_refuses_random_labels(tmp_path: Path) -> None:
    from ui.api.endpoints import Api
    from ui.api.session import DEFAULT, Places
    from ui.tabs.model.tab import ModelTab
    from ui.tabs.predict.tab import UNTRAINED, PredictTab

    api = Api(Places.at(tmp_path / "runs"))
    with gr.Blocks():
        state = {"view": gr.State(DEFAULT), "base": gr.State(DEFAULT)}
        model = ModelTab(api, state)
        links = {"text": gr.Textbox(), "pair": gr.Textbox(), "tabs": gr.Tabs()}
        predict = PredictTab(api, state, links)
    assert model.similar_box.visible and not model.fill_box.visible
    shown = model.on_playground(DEFAULT, model.fill_text.value)
    assert shown[model.similar_box]["visible"] and not shown[model.fill_box]["visible"]
    table = model.on_similar("The capital of France is Paris.", model.sim_others.value, DEFAULT)
    assert table.iloc[0]["sentence"] == "France's capital city is Paris."
    assert UNTRAINED in predict.note(DEFAULT)
    with pytest.raises(gr.Error, match="no trained classifier"):
        predict.on_predict("A quiet hotel by the sea.", DEFAULT)


def test_playground_example_follows_the_model_encoders_a_mask_decoders_a_text_to_continue(tmp_path: Path) -> None:
    from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

    from ui.api.endpoints import Api
    from ui.api.session import Places
    from ui.tabs.model.tab import FILL_TEXT, ModelTab

    masked, causal = tmp_path / "mlm", tmp_path / "causal"
    BertForMaskedLM(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=32)).save_pretrained(masked)
    GPT2LMHeadModel(GPT2Config(vocab_size=64, n_embd=16, n_layer=1, n_head=2, n_positions=32)).save_pretrained(causal)
    api = Api(Places.at(tmp_path / "runs", folders=[masked, causal]))
    assert api.models.playground(f"folder:{masked}") == "fill"
    assert api.models.playground(f"folder:{causal}") == "next"
    with gr.Blocks():
        model = ModelTab(api, {"view": gr.State(f"folder:{causal}"), "base": gr.State(f"folder:{causal}")})
    assert model.fill_box.visible and not model.similar_box.visible
    assert model.fill_text.value == FILL_TEXT[1] and "[MASK]" not in FILL_TEXT[1]  # a decoder continues a text
    shown = model.on_playground(f"folder:{masked}", FILL_TEXT[1])  # an encoder gets a text with a [MASK]
    assert shown[model.fill_box]["visible"] and shown[model.fill_text] == FILL_TEXT[0]
    shown = model.on_playground(f"folder:{masked}", "my own [MASK] text")  # the user's text is kept
    assert shown[model.fill_text] == gr.skip()
    shown = model.on_playground(f"folder:{causal}", "my own [MASK] text")
    assert shown[model.fill_text] == FILL_TEXT[1]


@pytest.mark.browser
@pytest.mark.slow
def test_a_heavy_view_shows_progress_leaves_the_page_usable_and_cancel_stops_it(app_url: str, monkeypatch) -> None:
    from tests.ui.test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    from ui.api import attention_render

    started, stopped = threading.Event(), threading.Event()

    def endless(model, tokenizer, text, pair, index, should_stop=None):  # runs until it is told to stop
        started.set()
        release = threading.Event()
        try:
            while not release.wait(0.05):
                should_stop()
        except Cancelled:
            stopped.set()
            raise

    monkeypatch.setattr(attention_render, "head_importance", endless)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_text("Labels:").first.wait_for(timeout=CEILING * 1000)  # the session's choices are restored
        page.get_by_role("tab", name="4 · Attention").click()
        page.get_by_label("Text", exact=True).fill("A heavy view that has to be stopped.")
        page.get_by_label("Head importance").check()
        cancel = page.locator("#tunescope-attention-cancel")
        poll_until(started.is_set, "the heavy view started")
        poll_until(cancel.is_enabled, "Cancel is offered while the view works")
        assert page.get_by_role("button", name="Show attention").is_disabled()  # no second job meanwhile
        page.get_by_text("Masking each head in turn").first.wait_for(timeout=CEILING * 1000)  # its progress
        page.get_by_role("tab", name="5 · Predict").click()  # another tab answers while the view works
        page.get_by_role("button", name="Predict", exact=True).click()
        page.get_by_text("Type a text to classify").first.wait_for(timeout=CEILING * 1000)
        predict = page.get_by_role("button", name="Predict", exact=True)
        poll_until(predict.is_enabled, "Predict is offered again after its error")
        assert not stopped.is_set()
        page.get_by_role("tab", name="4 · Attention").click()
        cancel.click()
        poll_until(stopped.is_set, "the work stopped after Cancel")
        poll_until(page.get_by_role("button", name="Show attention").is_enabled, "Show is offered again")
        browser.close()
