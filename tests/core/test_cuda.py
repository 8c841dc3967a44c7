"""The GPU path, on a CUDA machine only (``bench/gpu_check.sh`` runs these first): a run trains on the GPU in the
precision the GPU computes natively, and a loaded model predicts, evaluates, draws attention, explains and builds
its index on the GPU. On a machine without CUDA every test here is skipped; the same code runs on the CPU in the
rest of the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import job, runs
from core.attention.attributions import integrated_gradients
from core.attention.extract import extract_attention
from core.attention.heads import head_importance
from core.attention.neurons import query_key
from core.config import DataSettings, RunConfig, TrainSettings
from core.devices import cuda_supports_bf16
from core.inference.evaluate import evaluate_run
from core.inference.loading import load_for_inference
from core.inference.predict import predict_texts
from core.inference.similar import embed

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    from tests.tiny import CORPUS

    root = tmp_path_factory.mktemp("gpu")
    data = root / "data.csv"
    data.write_text("text,label\n" + "".join(f'"{t}",{"pos" if i % 2 else "neg"}\n' for i, t in enumerate(CORPUS)),
                    encoding="utf-8")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.2), model=str(tiny_models("bert")),
                       train=TrainSettings(max_steps=20, batch_size=8, eval_steps=10, device="cuda"))
    folder = job.create_run(config, run_dir=root / "run")
    summary = job.run_training(folder)
    assert summary["state"] == "finished"
    return folder


def test_training_on_the_gpu_uses_its_native_precision(gpu_run: Path) -> None:
    resolved = runs.load_config(gpu_run).resolved
    assert resolved["device"] == "cuda" and resolved["world_size"] == 1
    assert resolved["precision"] == ("bf16" if cuda_supports_bf16() else "fp16")


def test_a_loaded_model_serves_every_view_on_the_gpu(gpu_run: Path) -> None:
    loaded = load_for_inference(str(gpu_run))
    assert next(loaded.model.parameters()).device.type == "cuda"
    assert len(predict_texts(loaded, ["a wonderful film", "dull"])) == 2
    assert evaluate_run(gpu_run).probabilities.shape[1] == 2
    text = "the movie was wonderful"
    assert extract_attention(loaded.model, loaded.tokenizer, text).attentions.shape[0] == 2
    assert len(integrated_gradients(loaded.model, loaded.tokenizer, text).tokens) > 2
    assert head_importance(loaded.model, loaded.tokenizer, text) is not None
    assert query_key(loaded.model, loaded.tokenizer, text) is not None
    assert embed(loaded, [text]).shape == (1, loaded.model.config.hidden_size)
