"""The Attention tab's ``render`` for every view on a tiny fake run (belongs in tests/ui; kept here by owner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from tests.tiny import make_tiny_model
from ui.api import attention_render
from ui.api.endpoints import Api
from ui.api.session import DEFAULT, Places
from ui.tabs.attention.tab import AttentionTab


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory, tiny_models) -> Path:
    root = tmp_path_factory.mktemp("attention-run")
    tuned = make_tiny_model(root / "tuned", "bert", labels=["neg", "pos"], seed=2)
    run = root / "run-1"
    shutil.copytree(tuned, run / "model")
    (run / "config.json").write_text(json.dumps({"model": str(tiny_models("bert")), "data": {"train_file": "x.csv"}}))
    (run / "events.jsonl").write_text("")
    return run


@pytest.mark.parametrize("view", list(attention_render.VIEWS))
def test_every_view_renders(fake_run: Path, view: str) -> None:
    result = attention_render.render(str(fake_run), "the movie was great", "i loved it", view, 1, 3, 0.05, False,
                                  True, "pos")
    assert result["figure"].to_json() and (result["layers"], result["heads"]) == (2, 4)
    assert result["labels"] == ["neg", "pos"]
    if view in ("Model grid", "Head statistics", "Base vs fine-tuned", "Head importance"):
        assert len(result["table"]) > 0
    else:  # the tab hides an empty table
        assert len(result["table"]) == 0
    if view in ("Head", "Neuron"):
        assert result["view"]["kind"] == view.lower() and result["view"]["heads"] == 4
    else:
        assert result["view"] is None
    if view == "Attributions":
        assert "<span" in result["html"] and "<script" not in result["html"]


def test_diff_needs_a_run_and_tab_builds(tiny_models) -> None:
    from core.errors import ModelError

    with pytest.raises(ModelError, match="run folder"):
        attention_render.render(str(tiny_models("bert")), "a text", "", "Base vs fine-tuned", 0, 0, 0.0, True, False, None)
    with gr.Blocks():
        tab = AttentionTab(Api(Places.at(tiny_models("bert").parent / "runs")), {"view": gr.State(DEFAULT)})
    assert tab.layer.maximum == 5 and tab.text.value  # sized for the default model, an example text to start


def test_sliders_fit_the_model_in_view_from_the_start_and_aggregates_start_on_the_last_layer(tiny_models) -> None:
    folder = str(tiny_models("bert"))
    api = Api(Places.at(tiny_models("bert").parent / "runs", [folder]))
    with gr.Blocks():
        view = gr.State(f"folder:{folder}")
        tab = AttentionTab(api, {"view": view})
    assert (tab.layer.maximum, tab.head.maximum) == (1, 3)
    update = tab.on_view({view: f"folder:{folder}", tab.view: "Aggregates", tab.layer: 0})
    assert update[tab.layer].value == 1


@pytest.mark.browser
@pytest.mark.slow
def test_head_view_draws_in_the_browser_and_redraws_safely(app_url: str) -> None:
    """Lines for every head, focus on hover, a head alone on double-click, a new text redrawn, no script run."""
    from tests.ui.test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    root = "#tunescope-attention-view"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(app_url)
        page.get_by_role("tab", name="4 · Attention").click()
        page.get_by_role("button", name="Show attention").click()
        page.locator(f"{root} svg path").first.wait_for(timeout=60_000)
        heads = page.locator(f"{root} path").evaluate_all("ps => new Set(ps.map(p => p.dataset.head)).size")
        assert heads == 12
        page.locator(f'{root} g.ts-token[data-side=left][data-index="2"]').hover()
        assert page.locator(f"{root} line").count() > 0 and "attends most to" in page.locator(f"{root} .ts-readout").inner_text()
        page.mouse.move(5, 5)
        page.locator(f'{root} button.ts-swatch[data-head="3"]').dblclick()
        assert page.locator(f"{root} path").evaluate_all("ps => [...new Set(ps.map(p => p.dataset.head))]") == ["3"]
        page.get_by_label("Text", exact=True).fill("</script><img src=x onerror=alert(1)> ok")
        page.get_by_role("button", name="Show attention").click()
        page.locator(f"{root} g.ts-token text", has_text="script").first.wait_for(timeout=60_000)
        assert page.locator(f"{root} img").count() == 0 and not dialogs
        browser.close()


@pytest.mark.parametrize("view", ["Head", "Neuron"])
def test_decoder_views_show_the_causal_mask(tiny_models, view: str) -> None:
    result = attention_render.render(str(tiny_models("gpt2")), "the movie was great", "", view, 1, 2, 0.0, True,
                                    False, None)
    data = result["view"]
    assert data["causal"] and "causal" in result["info"]
    if view == "Head":
        weights = np.asarray(data["attn"][data["layer"]])
        assert np.all(np.triu(weights, 1) == 0)  # no line to a later token, in any head
    else:
        assert data["head"] == 2 and any("masked" in note for note in data["notes"])


def test_html_export_of_the_head_view_is_the_interactive_page(tiny_models) -> None:
    folder = str(tiny_models("bert"))
    with gr.Blocks():
        view = gr.State(f"folder:{folder}")
        tab = AttentionTab(Api(Places.at(tiny_models("bert").parent / "runs", [folder])), {"view": view})
    values = {view: f"folder:{folder}", tab.text: "the movie was great", tab.pair: "", tab.view: "Head",
              tab.layer: 1, tab.head: 0, tab.threshold: 0.0, tab.show_special: True, tab.renormalise: False,
              tab.target: None}
    page = Path(tab.export("html", values)).read_text(encoding="utf-8")
    assert "tsRender(" in page and '"kind":"head"' in page and "plotly" not in page.lower()
