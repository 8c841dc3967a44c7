"""Tokenization for training is a batched ``datasets.map`` cached by the data's hash: a second call
with the same cache key loads the Arrow file instead of tokenising again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.config import DataSettings, RunConfig, TrainSettings
from core.data import file_hash, load_labelled
from core.modelref import source_of
from core.models import load_tokenizer
from core.training.datasets import _cache_key, cache_dir, prepare_datasets, tokenize_frame


class CountingTokenizer:
    """Delegates to a real tokenizer and counts how often it is called to encode a batch."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0
        self.name_or_path = inner.name_or_path

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.inner(*args, **kwargs)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh cache per test, so the first call really tokenises."""
    monkeypatch.setenv("TUNESCOPE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer(source_of("default"))


def test_tokenize_frame_second_call_loads_from_cache(sentiment_csv: Path, tokenizer: Any) -> None:
    data = load_labelled(sentiment_csv)
    counting = CountingTokenizer(tokenizer)
    key = "test-" + file_hash(sentiment_csv)[:16]
    first = tokenize_frame(data.frame, counting, 32, data.labels, cache_key=key)
    assert counting.calls >= 1 and (cache_dir() / f"{key}.arrow").exists()
    calls = counting.calls
    second = tokenize_frame(data.frame, counting, 32, data.labels, cache_key=key)
    assert counting.calls == calls, "the map function ran again instead of loading the cache"
    assert second["input_ids"] == first["input_ids"] and second["labels"] == first["labels"]


def test_prepare_datasets_reuses_cache_for_same_data(sentiment_csv: Path, tokenizer: Any) -> None:
    data = load_labelled(sentiment_csv)
    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv), val_fraction=0.2),
                       train=TrainSettings(max_length=32, seed=3), labels=data.labels,
                       data_hash=file_hash(sentiment_csv))
    counting = CountingTokenizer(tokenizer)
    train, val = prepare_datasets(config, counting)
    assert counting.calls >= 2
    keys = [_cache_key(config, split, counting, config.data_hash) for split in ("train", "val")]
    assert all((cache_dir() / f"{key}.arrow").exists() for key in keys)
    calls = counting.calls
    train2, val2 = prepare_datasets(config, counting)
    assert counting.calls == calls
    assert (len(train2), len(val2)) == (len(train), len(val)) == (32, 8)


def test_different_settings_do_not_share_a_cache(sentiment_csv: Path, tokenizer: Any) -> None:
    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv)), labels=["negative", "positive"],
                       data_hash=file_hash(sentiment_csv))
    other = RunConfig(data=DataSettings(train_file=str(sentiment_csv)), train=TrainSettings(max_length=64),
                      labels=config.labels, data_hash=config.data_hash)
    assert _cache_key(config, "train", tokenizer, config.data_hash) != _cache_key(other, "train", tokenizer, other.data_hash)
    assert _cache_key(config, "train", tokenizer, None) is None
