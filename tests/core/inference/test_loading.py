"""No process-wide side effects in the server: loading and explaining models leave the global random
state, the thread count and the SIGTERM handler alone; the model cache follows the files on disk."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from core.attention.attributions import integrated_gradients
from core.attention.extract import extract_attention
from core.attention.heads import head_importance
from core.inference import load_for_inference, loading, predict_texts
from core.modelref import source_of
from core.models import load_classifier
from tests.tiny import make_tiny_model

ROOT = Path(__file__).resolve().parents[3]
TEXTS = ["the movie was wonderful", "a dull , boring film", "i loved every minute of it"]


@pytest.fixture
def empty_cache() -> Iterator[None]:
    loading._CACHE.clear()
    yield
    loading._CACHE.clear()


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


def scores(loaded: loading.Loaded) -> np.ndarray:
    return np.array([[row["scores"][label] for label in loaded.labels] for row in predict_texts(loaded, TEXTS)])


# --- a model without a trained head -----------------------------------------------------------------


def test_loading_a_base_model_keeps_the_global_random_state(tiny_models: Any, empty_cache: None) -> None:
    folder = str(tiny_models("bert"))  # AutoModel weights only: the classification head is new
    state = torch.random.get_rng_state()
    first = load_for_inference(folder)
    assert first.warnings and "no trained classification head" in first.warnings[0]
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_new_head_is_the_same_on_every_load_whatever_the_global_seed(tiny_models: Any, empty_cache: None) -> None:
    folder = str(tiny_models("bert"))
    results = []
    for seed in (1, 2):
        loading._CACHE.clear()
        with torch.random.fork_rng(devices=[]):  # vary the global state without leaking it to other tests
            torch.manual_seed(seed)
            loaded = load_for_inference(folder)
        results.append((loaded, scores(loaded)))
    (first, first_scores), (second, second_scores) = results
    assert first is not second  # really loaded twice
    np.testing.assert_array_equal(first_scores, second_scores)
    assert not np.allclose(first_scores[:, 0], 0.5)  # the head is not trivially uniform


# --- the cache follows the files ---------------------------------------------------------------------


def test_cache_reuses_a_model_until_its_files_change(classifier: Path, tmp_path: Path, empty_cache: None) -> None:
    folder = Path(shutil.copytree(classifier, tmp_path / "model"))
    first = load_for_inference(str(folder))
    assert load_for_inference(str(folder)) is first
    weights = folder / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    os.utime(weights, ns=(stamp + 10**9, stamp + 10**9))  # same bytes, newer file
    second = load_for_inference(str(folder))
    assert second is not first and second.model is not first.model
    assert load_for_inference(str(folder)) is second


def test_a_model_saved_again_into_the_same_folder_is_loaded_afresh(classifier: Path, tmp_path: Path,
                                                                  empty_cache: None) -> None:
    folder = Path(shutil.copytree(classifier, tmp_path / "model"))
    first = load_for_inference(str(folder))
    before = loading.files_stamp(folder)
    make_tiny_model(folder, "bert", labels=["negative", "positive"], seed=1)  # new weights, same place
    assert loading.files_stamp(folder) != before
    second = load_for_inference(str(folder))
    assert second is not first
    assert not np.allclose(scores(first), scores(second))  # the new weights are the ones in use


# --- explaining a prediction changes nothing global -------------------------------------------------


@pytest.mark.parametrize("job", ["predict", "attention", "head_importance", "integrated_gradients"])
def test_inference_and_explanations_keep_threads_and_random_state(classifier: Path, job: str) -> None:
    loaded = load_for_inference(str(classifier))
    threads, state = torch.get_num_threads(), torch.random.get_rng_state()
    text = TEXTS[0]
    if job == "predict":
        result: Any = predict_texts(loaded, TEXTS)
        assert len(result) == len(TEXTS)
    elif job == "attention":
        result = extract_attention(loaded.model, loaded.tokenizer, text)
        assert result.attentions.shape[:2] == (2, 4)
    elif job == "head_importance":
        result = head_importance(loaded.model, loaded.tokenizer, text)
        assert np.array(result["drop"]).shape == (2, 4)
    else:
        result = integrated_gradients(loaded.model, loaded.tokenizer, text, target=1, n_steps=8)
        assert len(result.scores) == len(result.tokens)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)


def test_integrated_gradients_work_on_a_shared_frozen_model(classifier: Path) -> None:
    """Cached models have requires_grad off; captum needs gradients of the embedding *output* only."""
    cached = load_for_inference(str(classifier))
    assert not any(p.requires_grad for p in cached.model.parameters())
    weights = {name: p.detach().clone() for name, p in cached.model.named_parameters()}
    fresh = load_classifier(source_of(str(classifier)), attn_implementation="eager").eval()
    assert all(p.requires_grad for p in fresh.parameters())
    shared = integrated_gradients(cached.model, cached.tokenizer, TEXTS[0], target=1, n_steps=16)
    own = integrated_gradients(fresh, cached.tokenizer, TEXTS[0], target=1, n_steps=16)
    assert any(abs(s) > 0 for s in shared.scores)
    np.testing.assert_allclose(shared.scores, own.scores, rtol=1e-5, atol=1e-9)
    for name, parameter in cached.model.named_parameters():  # the shared model is left exactly as it was
        assert not parameter.requires_grad and parameter.grad is None
        assert torch.equal(parameter, weights[name])


# --- signals -----------------------------------------------------------------------------------------


def test_importing_core_installs_no_signal_handler_and_sets_no_threads(tmp_path: Path) -> None:
    """In a fresh interpreter, so import-time side effects cannot hide behind earlier imports."""
    script = (
        "import importlib, pkgutil, signal, torch, core\n"
        "before = (signal.getsignal(signal.SIGTERM), torch.get_num_threads())\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    if m.name != 'core.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "from core.cli import main\n"
        f"assert main(['runs', '--root', {str(tmp_path)!r}]) == 0\n"
        "after = (signal.getsignal(signal.SIGTERM), torch.get_num_threads())\n"
        "print(before == after, before, after)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1].startswith("True "), done.stdout  # after the runs command's JSON


def test_only_install_stop_signal_installs_the_sigterm_handler(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import core.cli
    import core.training
    from core.training import stopping

    before = signal.getsignal(signal.SIGTERM)
    try:
        assert core.cli.main(["runs", "--root", str(tmp_path)]) == 0
        assert capsys.readouterr().out.strip() == "[]"
        assert signal.getsignal(signal.SIGTERM) is before
        stopping.install_stop_signal()
        assert signal.getsignal(signal.SIGTERM) is stopping._on_sigterm is not before
    finally:
        signal.signal(signal.SIGTERM, before)
    assert core.training is not None
