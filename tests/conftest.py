"""Shared fixtures: tiny offline models, small labelled files, the shared SST data when present.

No test reads or writes the user's folders: for the whole session (session- and module-scoped fixtures
included, and every process a test starts) the default runs folder, the tokenization cache and the device
locks are temporary folders, and a session that creates ``./runs`` or ``~/.cache/tunescope`` fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tiny import make_tiny_model

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
USER_FOLDERS = (ROOT / "runs", Path.cwd() / "runs", Path.home() / ".cache" / "tunescope")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="session", autouse=True)
def _no_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The default runs folder and the cache (tokenized data, device locks) are the session's own; a test that
    still reaches ./runs or ~/.cache/tunescope (where the app was used, they exist) fails the session."""
    before = {folder: folder.exists() for folder in USER_FOLDERS}
    base = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_RUNS", str(base / "default-runs"))
        patch.setenv("TUNESCOPE_CACHE", str(base / "cache"))
        patch.delenv("TUNESCOPE_LOCKS", raising=False)
        yield
    created = [str(folder) for folder, existed in before.items() if not existed and folder.exists()]
    assert not created, f"tests created {created}: pass a temporary folder (tmp_path) instead"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokenization cache and runs root live in temporary folders, never in the user's home."""
    monkeypatch.setenv("TUNESCOPE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("TUNESCOPE_RUNS", str(tmp_path_factory.getbasetemp() / "default-runs"))


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
