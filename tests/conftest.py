"""Shared fixtures: tiny offline models, small labelled files, the shared SST data when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tiny import make_tiny_model

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokenization cache and runs root live in temporary folders, never in the user's home."""
    monkeypatch.setenv("TUNESCOPE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    """A function family -> folder of a tiny base model (built once per family per session)."""
    built: dict[str, Path] = {}

    def get(family: str = "bert") -> Path:
        if family not in built:
            built[family] = make_tiny_model(tmp_path_factory.mktemp(f"tiny-{family}"), family)
        return built[family]

    return get


@pytest.fixture
def sentiment_csv(tmp_path: Path) -> Path:
    """A small balanced two-class CSV written by the test itself."""
    positive = ["great film", "loved it", "wonderful acting", "a joy to watch", "brilliant and moving",
                "superb story", "delightful", "really enjoyable", "fantastic cast", "heartwarming"]
    negative = ["awful film", "hated it", "terrible acting", "a chore to watch", "dull and lifeless",
                "weak story", "boring", "really tedious", "dreadful cast", "painful"]
    rows = [f"{t},positive" for t in positive] + [f"{t} indeed,positive" for t in positive]
    rows += [f"{t},negative" for t in negative] + [f"{t} indeed,negative" for t in negative]
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sst2() -> Path:
    """The shared SST-2 folder; tests using it skip when ../shared is absent."""
    folder = SHARED / "sst2"
    if not (folder / "train.csv").exists():
        pytest.skip("../shared/data/sst2 is not present")
    return folder
