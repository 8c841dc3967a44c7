"""Figures from plain data, offline exports (HTML without remote scripts, PNG) and the attention CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.attention.extract import AttentionResult, extract_attention
from core.cli import main
from core.inference import load_for_inference
from core.plots import attention as plots
from core.plots import heads as head_plots
from core.plots.export import export_html, export_png

DEFAULT_KEYS = {"tokens", "attentions", "special_tokens", "segments", "causal", "layers", "heads", "prediction"}


def _result(length: int = 12, causal: bool = False, layers: int = 2, heads: int = 3) -> AttentionResult:
    rng = np.random.default_rng(length)
    weights = rng.random((layers, heads, length, length)).astype(np.float32)
    if causal:
        weights = np.tril(weights)
    weights /= weights.sum(-1, keepdims=True)
    tokens = ["[CLS]"] + [f"w{i}" for i in range(length - 2)] + ["[SEP]"]
    special = [True] + [False] * (length - 2) + [True]
    segments = [0] * (length // 2) + [1] * (length - length // 2)
    return AttentionResult(tokens, weights, special, segments, causal)


@pytest.mark.parametrize("view", plots.STANDARD_VIEWS)
@pytest.mark.parametrize("show_special", [True, False])
def test_standard_views_build_and_serialise(view: str, show_special: bool) -> None:
    figure = plots.standard_figure(view, _result(), layer=1, head=2, threshold=0.05, show_special=show_special)
    assert json.loads(figure.to_json())["data"]


def test_head_view_threshold_causal_mask_and_boundary() -> None:
    result = _result(causal=True)
    figure = plots.standard_figure("head", result, threshold=0.2)
    z = np.asarray(figure.data[0].z, dtype=float)
    weights = result.attentions[0, 0]
    assert np.all(np.isnan(z[np.triu_indices(12, 1)]))  # the causal future is drawn as masked
    assert np.all(np.isnan(z[weights < 0.2]))
    kept = ~np.isnan(z)
    np.testing.assert_array_equal(z[kept], weights[kept])  # shown values are the exact weights
    assert len(figure.layout.shapes) == 2 and "causal mask" in figure.layout.title.text


def test_hidden_special_tokens_say_whether_rows_are_renormalised() -> None:
    result = _result()
    raw = plots.standard_figure("head", result, show_special=False)
    renormalised = plots.standard_figure("head", result, show_special=False, renormalise=True)
    assert len(raw.data[0].x) == 10 and "not renormalised" in raw.layout.title.text
    np.testing.assert_allclose(np.asarray(renormalised.data[0].z).sum(-1), 1.0, atol=1e-5)
    assert "renormalised to sum to 1" in renormalised.layout.title.text


def test_grid_pools_long_inputs_for_the_browser() -> None:
    result = _result(length=512, layers=2, heads=2)
    figure = plots.model_grid_figure(result.attentions)
    z = np.asarray(figure.data[0].z)
    assert z.shape[0] < 2 * 40 and "pooled to 32x32" in figure.layout.title.text
    small = plots.model_grid_figure(_result(length=12).attentions)
    assert "pooled" not in small.layout.title.text


def test_comparison_importance_and_attribution_figures() -> None:
    result = _result()
    divergence = np.abs(np.random.default_rng(1).random((2, 3)))
    assert head_plots.divergence_figure(divergence, "js", top=4).data[1].y[-1] is not None
    head_plots.comparison_figure(result.tokens, result.attentions[0, 0], result.attentions[1, 0], 0, 0, boundary=6)
    importance = head_plots.importance_figure(divergence - 0.5, "positive", 0.8)
    assert "positive" in importance.layout.title.text
    bars = head_plots.attribution_figure(result.tokens, list(np.linspace(-1, 1, 12)), "positive", hide=result.special)
    assert len(bars.data[0].x) == 10


def test_html_export_is_offline(tmp_path: Path) -> None:
    path = export_html(plots.standard_figure("grid", _result()), tmp_path / "grid")
    text = path.read_text(encoding="utf-8")
    assert path.suffix == ".html" and len(text) > 1_000_000  # plotly.js is inlined
    assert not re.search(r"<script[^>]+src=[\"']?https?:", text, flags=re.I)


def test_png_export_matplotlib_fallback(tmp_path: Path) -> None:
    path, engine = export_png(plots.standard_figure("stats", _result()), tmp_path / "stats.png", engine="matplotlib")
    assert engine == "matplotlib" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_default_output_is_exact(tiny_models, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tiny_models("bert"))
    assert main(["attention", "the movie was great", "--model", folder]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == DEFAULT_KEYS
    loaded = load_for_inference(folder)
    expected = extract_attention(loaded.model, loaded.tokenizer, "the movie was great").attentions
    np.testing.assert_array_equal(np.asarray(payload["attentions"], dtype=np.float32), expected)


def test_cli_extras_filters_and_exports(tiny_models, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tiny_models("bert"))
    html, png = tmp_path / "view.html", tmp_path / "view.png"
    code = main(["attention", "the movie was great", "--text-pair", "loved it", "--model", folder, "--layer", "1",
                 "--head", "0", "2", "--rollout", "--head-stats", "--head-importance", "--attributions",
                 "--target-label", "1", "--view", "head", "--export-html", str(html), "--export-png", str(png)])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    size = len(payload["tokens"])
    assert np.asarray(payload["attentions"]).shape == (1, 2, size, size)
    assert payload["layer_indices"] == [1] and payload["head_indices"] == [0, 2]
    assert np.asarray(payload["rollout"]).shape == (1, size, size)
    assert np.asarray(payload["head_stats"]["entropy"]).shape == (1, 2)
    assert np.asarray(payload["head_importance"]["drop"]).shape == (2, 4)
    assert payload["attributions"]["target"] == 1 and len(payload["attributions"]["scores"]) == size
    assert html.exists() and png.read_bytes()[:4] == b"\x89PNG" and payload["png_engine"] in ("kaleido", "matplotlib")


def test_cli_bad_layer_is_one_error_line(tiny_models, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attention", "hello", "--model", str(tiny_models("bert")), "--layer", "9"]) == 2
    assert capsys.readouterr().err.startswith("error: layer 9 does not exist")
