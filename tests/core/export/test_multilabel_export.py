"""A multi-label run's model, as its folder and as the exported zip, loads with transformers.pipeline(top_k=None)
giving each label's sigmoid under the user's names; its ONNX export matches PyTorch's sigmoids to 1e-3."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.export import export_run
from core.inference import load_for_inference, predict_texts
from tests.core.inference.multilabel_model import TOPICS, make_multilabel_run

TEXTS = ["goal team coach", "soup bread code laptop", "a text about nothing", "chip"]


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory: pytest.TempPathFactory, tiny_models) -> Path:
    return make_multilabel_run(tmp_path_factory.mktemp("multi-export"), tiny_models("bert"), steps=20)


def unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as handle:
        handle.extractall(into)
        top = handle.namelist()[0].split("/")[0]
    return into / top


def check_pipeline(folder: Path, run: Path) -> None:
    """``pipeline(..., top_k=None)`` on ``folder`` gives the app's sigmoid scores under the user's label names."""
    from transformers import pipeline

    rows = pipeline("text-classification", model=str(folder), top_k=None)(TEXTS)
    app = predict_texts(load_for_inference(str(run)), TEXTS, max_length=16, precision="fp32")
    for theirs, ours in zip(rows, app, strict=True):
        scores = {r["label"]: r["score"] for r in theirs}
        assert set(scores) == set(TOPICS)
        for label, probability in ours["scores"].items():
            assert abs(scores[label] - probability) < 1e-5
    assert not all(abs(sum(r["score"] for r in row) - 1) < 1e-3 for row in rows)  # sigmoids, not a softmax


def test_run_folder_and_zip_load_with_pipeline(multi_run: Path, tmp_path: Path) -> None:
    check_pipeline(multi_run / "model", multi_run)
    result = export_run(multi_run, "zip", tmp_path / "multi.zip")
    folder = unzip(Path(result["output"]), tmp_path / "unzipped")
    config = json.loads((folder / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert set(config["label_thresholds"]) == set(TOPICS)
    check_pipeline(folder, multi_run)
    loaded = load_for_inference(str(folder))  # the unzipped folder alone chooses labels as the run does
    assert loaded.multi_label and loaded.thresholds == load_for_inference(str(multi_run)).thresholds


def test_onnx_export_checks_sigmoids(multi_run: Path, tmp_path: Path) -> None:
    for name in ("onnx", "onnxruntime", "onnxscript"):
        pytest.importorskip(name)
    import onnxruntime
    from transformers import AutoTokenizer

    result = export_run(multi_run, "onnx", tmp_path / "multi-onnx.zip")
    assert result["max_abs_diff"] <= 1e-3 and result["checked_on"] == "validation rows"
    folder = unzip(Path(result["output"]), tmp_path / "onnx")
    assert "sigmoid of its logit" in (folder / "README.md").read_text(encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    encoded = tokenizer(TEXTS, padding=True, return_tensors="np")
    logits = session.run(None, {i.name: encoded[i.name] for i in session.get_inputs()})[0]
    app = predict_texts(load_for_inference(str(multi_run)), TEXTS, max_length=16, precision="fp32")
    labels = load_for_inference(str(multi_run)).labels
    expected = np.array([[row["scores"][label] for label in labels] for row in app])
    assert np.abs(1 / (1 + np.exp(-logits)) - expected).max() < 1e-3
