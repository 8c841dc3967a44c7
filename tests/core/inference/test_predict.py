"""Predicting texts: empty requests are refused, lone surrogates become U+FFFD instead of a crash, rows come
back in input order, the prediction copy (SDPA, bf16) agrees with the exact model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.data import Columns
from core.errors import ConfigError, DataError
from core.inference import load_for_inference, predict_file, predict_texts
from core.inference.predict import class_probabilities, clean_text
from tests.tiny import make_tiny_model


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


@pytest.mark.parametrize("texts", [[""], ["   "], ["\t", "\n "]])
def test_cli_refuses_empty_texts(texts: list[str], classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(classifier), *texts]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: Every text to classify is empty: give texts with words in them.\n"


def test_cli_names_the_empty_text_among_others(classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(classifier), "a fine film", " "]) == 2
    assert capsys.readouterr().err == "error: Text 2 to classify is empty: give texts with words in them.\n"


def test_predict_texts_refuses_only_all_empty_requests(classifier: Path) -> None:
    loaded = load_for_inference(str(classifier))
    with pytest.raises(DataError, match="Every text to classify is empty"):
        predict_texts(loaded, ["", "  \n"])
    assert [r["text"] for r in predict_texts(loaded, ["a fine film", ""])] == ["a fine film", ""]
    assert predict_texts(loaded, []) == []


def test_lone_surrogates_become_replacement_characters(classifier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert clean_text("a\ud800b") == "a\ufffdb" and clean_text("\udfff") == "\ufffd"
    assert clean_text("\ud83d\ude00 ok") == "\U0001f600 ok"  # a surrogate pair is the character it encodes
    loaded = load_for_inference(str(classifier))
    results = predict_texts(loaded, ["a\ud800b", "\udfff"], pairs=["x\udc80", "fine"])
    assert [r["text"] for r in results] == ["a\ufffdb", "\ufffd"] and results[0]["text_pair"] == "x\ufffd"
    expected = predict_texts(loaded, ["a\ufffdb"], pairs=["x\ufffd"])[0]
    assert results[0]["scores"] == pytest.approx(expected["scores"])
    json.dumps(results, ensure_ascii=False).encode("utf-8")  # valid UTF-8 all the way out
    assert main(["predict", "--model", str(classifier), "good \udcff film"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["text"] == "good \ufffd film"


def test_a_file_with_empty_rows_is_still_predicted(classifier: Path, tmp_path: Path) -> None:
    data = tmp_path / "texts.csv"
    data.write_text('text\n""\n""\n', encoding="utf-8")
    result = predict_file(load_for_inference(str(classifier)), data, tmp_path / "out.csv", Columns(text="text"))
    assert result["rows"] == 2


# --- fast path: input order, the prediction copy, bf16 -------------------------------------------------


def sharp_model(folder: Path, family: str = "bert") -> Path:
    """A tiny classifier whose linear weights are drawn wider (std 0.2), so different texts get clearly
    different probabilities (the standard tiny model scores every text about the same)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    make_tiny_model(folder, family, labels=["negative", "positive"])
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0, 0.2, generator=generator)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def sharp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sharp_model(tmp_path_factory.mktemp("sharp"))

MIXED = ["ok", "a long and winding review of a film that goes on and on about the actors and the plot twists",
         "", "dull", "the movie was wonderful and the actors were great , i loved every minute of it",
         "terrible acting", "an honest , moving portrait of a family", "no"]


def test_rows_come_back_in_input_order_whatever_their_lengths(sharp: Path) -> None:
    loaded = load_for_inference(str(sharp))
    batched = predict_texts(loaded, MIXED, batch_size=3, precision="fp32")  # longest first in the model
    assert [r["text"] for r in batched] == MIXED
    one_by_one = [predict_texts(loaded, [text], precision="fp32")[0]["scores"] for text in MIXED if text]
    one_by_one.insert(2, predict_texts(loaded, ["", "x"], precision="fp32")[0]["scores"])
    for row, alone in zip(batched, one_by_one, strict=True):
        assert row["scores"] == pytest.approx(alone, abs=1e-5)
    firsts = [round(r["scores"]["negative"], 3) for r in batched]
    assert len(set(firsts)) == len(MIXED)  # every text scores differently, so a shuffled row would be caught


def test_the_prediction_copy_matches_the_cached_eager_model(classifier: Path) -> None:
    import torch

    from core.inference.loading import prediction_model

    loaded = load_for_inference(str(classifier))
    encoded = loaded.tokenizer(MIXED, padding=True, return_tensors="pt")
    with torch.inference_mode():
        eager = torch.softmax(loaded.model(**encoded).logits, dim=-1).numpy()
    exact = np.array([[r["scores"][label] for label in loaded.labels]
                      for r in predict_texts(loaded, MIXED, precision="fp32")])
    np.testing.assert_allclose(exact, eager, atol=1e-5)
    copy = prediction_model(loaded, "fp32").model
    assert copy is not loaded.model and copy.config._attn_implementation == "sdpa"
    assert loaded.model.config._attn_implementation == "eager"  # the Attention tab's model is left as it was


def test_bf16_predictions_agree_with_fp32(sharp: Path) -> None:
    import torch

    from core.inference.loading import prediction_model

    loaded = load_for_inference(str(sharp))
    texts = [f"{a} {b}" for a in MIXED if a for b in ("film", "story , acting and cast", "")]
    fast = class_probabilities(loaded, texts, precision="bf16")
    exact = class_probabilities(loaded, texts, precision="fp32")
    assert np.abs(fast - exact).max() < 1e-2
    clear = np.abs(exact[:, 0] - 0.5) > 0.01  # a near-tie may flip either way in any precision
    assert clear.sum() >= 0.8 * len(texts)
    np.testing.assert_array_equal(fast.argmax(1)[clear], exact.argmax(1)[clear])
    copy = prediction_model(loaded, "bf16")
    assert copy.precision == "bf16"
    linear = [m for m in copy.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linear and all(m.weight.dtype == torch.bfloat16 for m in linear)
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())  # the cached model is not touched


def test_unknown_precision_is_refused(classifier: Path) -> None:
    with pytest.raises(ConfigError, match="precision must be one of auto, bf16, fp32"):
        predict_texts(load_for_inference(str(classifier)), ["fine"], precision="fp8")


@pytest.mark.parametrize("family", ["distilbert", "gpt2", "deberta-v2"])
def test_every_family_predicts_on_its_prediction_copy(family: str, tmp_path: Path) -> None:
    folder = make_tiny_model(tmp_path / family, family, labels=["negative", "positive"])
    loaded = load_for_inference(str(folder))
    fast, exact = (class_probabilities(loaded, MIXED, batch_size=3, precision=p) for p in ("auto", "fp32"))
    assert fast.shape == (len(MIXED), 2) and np.abs(fast - exact).max() < 1e-2
    alone = np.stack([class_probabilities(loaded, [text], precision="fp32")[0] for text in MIXED])
    np.testing.assert_allclose(alone, exact, atol=1e-5)  # one text runs unmasked: the same answer as padded


def test_only_an_unpadded_batch_of_a_pytorch_model_loses_its_mask() -> None:
    import torch

    from core.inference.predict import unmasked

    model = torch.nn.Linear(2, 2)
    full = {"input_ids": torch.ones(2, 3, dtype=torch.long), "attention_mask": torch.ones(2, 3, dtype=torch.long)}
    padded = {**full, "attention_mask": torch.tensor([[1, 1, 1], [1, 1, 0]])}
    assert set(unmasked(model, full)) == {"input_ids"} and unmasked(model, padded) is padded
    assert unmasked(object(), full) is full  # an ONNX graph takes every input it was exported with
