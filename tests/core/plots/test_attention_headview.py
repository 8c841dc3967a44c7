"""The interactive head and neuron views: the heatmap's data, safe pages for hostile tokens, bertviz's numbers."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core.attention.extract import AttentionResult, extract_attention
from core.attention.neurons import query_key
from core.inference import load_for_inference
from core.plots import attention as plots
from core.plots.headview import head_view_data, neuron_view_data, standalone_html, view_json

HOSTILE = "</script><img src=x onerror=alert(1)> & <!-- \u2028"


def _result(length: int = 10, causal: bool = False) -> AttentionResult:
    rng = np.random.default_rng(3)
    weights = rng.random((3, 4, length, length)).astype(np.float32)
    weights = np.tril(weights) if causal else weights
    weights /= weights.sum(-1, keepdims=True)
    tokens = ["[CLS]", "Ġthe", HOSTILE] + [f"w{i}" for i in range(length - 4)] + ["[SEP]"]
    special = [True] + [False] * (length - 2) + [True]
    return AttentionResult(tokens, weights, special, [0] * 5 + [1] * (length - 5), causal)


@pytest.mark.parametrize("show_special", [True, False])
def test_head_view_holds_the_heatmaps_weights(show_special: bool) -> None:
    result = _result()
    data = head_view_data(result, layer=2, show_special=show_special, precision=None)
    assert data["layers"] == [0, 1, 2] and data["layer"] == 2 and data["heads"] == 4
    for head in range(4):
        heatmap = plots.standard_figure("head", result, 2, head, show_special=show_special)
        np.testing.assert_array_equal(np.asarray(data["attn"][2][head], dtype=np.float32),
                                      np.asarray(heatmap.data[0].z, dtype=np.float32))
    assert len(data["tokens"]) == (10 if show_special else 8) and data["tokens"][1 if show_special else 0] == "␣the"
    assert data["boundary"] == (5 if show_special else 4)


def test_large_inputs_send_one_layer_and_causal_views_say_so() -> None:
    result = _result(causal=True)
    data = head_view_data(result, layer=1, all_layers=False)
    assert data["layers"] == [1] and data["layer"] == 0 and np.asarray(data["attn"]).shape == (1, 4, 10, 10)
    assert data["causal"] and any("earlier tokens" in note for note in data["notes"])
    assert np.all(np.triu(np.asarray(data["attn"][0][0]), 1) == 0)  # no line to a later token


def test_pages_escape_user_tokens() -> None:
    data = head_view_data(_result(), 0)
    text = view_json(data)
    assert not re.search(r"[<>&\u2028]", text) and json.loads(text)["tokens"][2] == HOSTILE
    page = standalone_html(data, title=HOSTILE)
    assert "<img" not in page and page.count("</script>") == 2 and "&lt;/script&gt;" in page  # title escaped
    assert not re.search(r"(src|href)=[\"']?https?:", page) and "Content-Security-Policy" in page


def test_neuron_view_data_for_a_decoder(tiny_models) -> None:
    loaded = load_for_inference(str(tiny_models("gpt2")))
    qk = query_key(loaded.model, loaded.tokenizer, "the movie was great", None, 1)
    data = neuron_view_data(qk, head=2)
    size = len(qk.tokens)
    assert (data["heads"], data["dim"], data["head"], data["query"]) == (4, 8, 2, size - 1)
    assert np.asarray(data["q"]).shape == (4, size, 8) and data["max_error"] < 1e-5
    assert data["notes"][0].startswith("softmax(q·k") and any("masked" in note for note in data["notes"])


def test_head_view_draws_what_bertviz_draws(tiny_models) -> None:
    """bertviz's head_view on the same model output gets the same numbers (bertviz is a test-only install)."""
    pytest.importorskip("IPython")
    head_view = pytest.importorskip("bertviz").head_view
    import torch

    loaded = load_for_inference(str(tiny_models("bert")))
    text, pair = "the movie was great", "i loved it"
    encoded = loaded.tokenizer(text, pair, return_tensors="pt")
    with torch.inference_mode():
        attentions = loaded.model(**encoded, output_attentions=True).attentions
    tokens = loaded.tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
    start = encoded["token_type_ids"][0].tolist().index(1)
    page = head_view(attentions, tokens, sentence_b_start=start, html_action="return").data
    params = json.loads(re.search(r"const params = (\{.*?\}); //", page).group(1))
    ours = head_view_data(extract_attention(loaded.model, loaded.tokenizer, text, pair), 0, precision=None)
    assert ours["boundary"] == start and ours["tokens"] == params["attention"][0]["left_text"]
    theirs = {view["name"]: np.asarray(view["attn"]) for view in params["attention"]}
    mine = np.asarray(ours["attn"])
    np.testing.assert_allclose(mine, theirs["All"], atol=1e-7)
    np.testing.assert_allclose(mine[:, :, :start, start:], theirs["Sentence A -> Sentence B"], atol=1e-7)
    np.testing.assert_allclose(mine[:, :, start:, :start], theirs["Sentence B -> Sentence A"], atol=1e-7)


@pytest.mark.parametrize("view", ["head", "neuron"])
def test_cli_writes_the_interactive_view(tiny_models, tmp_path, capsys: pytest.CaptureFixture[str], view: str) -> None:
    from core.cli import main

    path = tmp_path / f"{view}.html"
    assert main(["attention", "the movie was great", "--model", str(tiny_models("gpt2")), "--view", view,
                 "--layer", "1", "--head", "2", "--export-html", str(path)]) == 0
    page = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="tunescope-view-data">(.*?)</script>', page).group(1))
    assert data["kind"] == view and data["causal"] and json.loads(capsys.readouterr().out)["export_html"] == str(path)
    assert (data["layers"][data["layer"]] if view == "head" else data["layer"]) == 1


def test_two_fragments_share_one_page() -> None:
    from core.plots.headview import fragment

    page = fragment(head_view_data(_result(), 0), "first") + fragment(head_view_data(_result(), 1), "second")
    assert page.count('var TSKit = (typeof TSKit !== "undefined" && TSKit)') == 2 and 'id="second-data"' in page


def test_head_view_opens_focused_on_a_token_counted_among_the_shown_ones() -> None:
    result = _result()
    assert head_view_data(result, show_special=True, focus=3)["focus"] == 3
    assert head_view_data(result, show_special=False, focus=3)["focus"] == 2  # [CLS] is hidden
    assert head_view_data(result, show_special=False, focus=0)["focus"] is None  # a hidden token: no focus
    assert head_view_data(result)["focus"] is None
