"""Compression of a finished run: an 8-bit copy scored on the parent's rows, a distilled student with fewer
layers trained as a normal run, the side-by-side measure, and one sentence for every bad request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import runs
from core.compress import COMPRESSION, compress_run, compressed_from, side_by_side
from core.errors import ConfigError, ModelError, RunError
from core.inference import load_for_inference, predict_texts
from core.inference.evaluate import evaluate_run
from core.inference.loading import prediction_model
from core.inference.quantized import is_quantized
from tests.core.report.tiny_run import make_tiny_run

TEXTS = ["great film", "hated it", "a joy to watch", "dull and lifeless"]


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Path:
    return make_tiny_run(tmp_path_factory.mktemp("compress-run"), tiny_models("bert"))


def test_int8_copy_is_quantized_scored_and_close_to_its_parent(parent: Path) -> None:
    folder = compress_run(parent, "int8")
    assert folder.parent == parent.parent and runs.read_status(folder)["state"] == "finished"
    assert compressed_from(folder)["parent"] == parent.name
    assert "compressed:int8" in runs.read_json(folder / "meta.json")["tags"]
    parent_config = json.loads((parent / "model" / "config.json").read_text())
    assert "tunescope_quantization" not in parent_config  # the linked weights are shared, the parent's config not
    loaded = load_for_inference(str(folder))
    assert is_quantized(loaded.model) and not is_quantized(load_for_inference(str(parent)).model)
    ours = np.array([[r["scores"][k] for k in loaded.labels] for r in predict_texts(loaded, TEXTS)])
    base = load_for_inference(str(parent))
    theirs = np.array([[r["scores"][k] for k in base.labels] for r in predict_texts(base, TEXTS)])
    assert np.abs(ours - theirs).max() < 0.05 and not np.array_equal(ours, theirs)  # int8 moves them a little
    metrics = runs.read_json(runs.RunPaths(folder).metrics)
    assert metrics["accuracy"] == evaluate_run(folder).report()["accuracy"]  # scored by the 8-bit model itself
    assert evaluate_run(folder).info["precision"] == "int8"
    assert compressed_from(folder)["engine"] == "onnxruntime" and (folder / "model" / "model.int8.onnx").is_file()
    assert type(prediction_model(loaded).model).__name__ == "OnnxClassifier"  # what predictions and scores run on
    with pytest.raises(ConfigError, match="already 8-bit"):
        compress_run(folder, "int8")


def test_int8_model_refuses_integrated_gradients(parent: Path) -> None:
    from core.attention.attributions import integrated_gradients

    loaded = load_for_inference(str(compress_run(parent, "int8")))
    with pytest.raises(ModelError, match="no[n]?e?|gradients"):
        integrated_gradients(loaded.model, loaded.tokenizer, "great film")


def test_distilled_student_has_fewer_layers_and_trains_as_a_run(parent: Path) -> None:
    from core.job import run_training

    folder = compress_run(parent, "distil", layers=1)
    config = runs.load_config(folder)
    assert config.distil["layers"] == 1 and config.distil["teacher"] == str(parent.resolve())
    assert runs.read_status(folder)["state"] == "created"
    assert run_training(folder)["state"] == "finished"
    saved = json.loads((runs.RunPaths(folder).model / "config.json").read_text())
    assert saved["num_hidden_layers"] == 1
    assert runs.load_config(folder).resolved["student_layers_kept"] == [1]  # the teacher's last layer
    loaded = load_for_inference(str(folder))
    assert len(predict_texts(loaded, TEXTS)) == 4
    result = side_by_side(folder)
    assert [row["run"] for row in result["rows"]] == [parent.name, folder.name]
    assert result["rows"][1]["layers"] == 1 and result["rows"][0]["layers"] == 2
    assert result["speedup"] > 0 and result["rows"][1]["size_bytes"] < result["rows"][0]["size_bytes"]
    assert side_by_side(folder) == result  # kept in compression.json until a model changes
    assert json.loads((folder / COMPRESSION).read_text())["measured"]["key"] == result["key"]


@pytest.mark.parametrize(("method", "layers", "error", "words"), [
    ("zip", 3, ConfigError, "must be one of int8, distil"),
    ("distil", 2, ConfigError, "between 1 and 1 layers"),
    ("distil", 0, ConfigError, "between 1 and 1 layers"),
    ("distil", "three", ConfigError, "whole number"),
])
def test_bad_requests_get_one_sentence(parent: Path, method: str, layers: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        compress_run(parent, method, layers=layers)


def test_unfinished_run_and_plain_run_are_refused(parent: Path, tmp_path: Path) -> None:
    runs.write_json(tmp_path / "config.json", json.loads((parent / "config.json").read_text()))
    runs.write_json(tmp_path / "status.json", {"state": "created"})
    with pytest.raises(RunError, match="is not finished"):
        compress_run(tmp_path, "int8")
    with pytest.raises(RunError, match="not made by compressing"):
        side_by_side(parent)


def test_int8_run_exports_8bit_onnx_checked_against_the_8bit_model(parent: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from core.export import export_run

    folder = compress_run(parent, "int8")
    ours = export_run(folder, "onnx", tmp_path / "int8.zip")
    theirs = export_run(parent, "onnx", tmp_path / "float.zip")
    assert ours["onnx_bytes"] < theirs["onnx_bytes"] and ours["exporter"].startswith("onnxruntime int8")
    assert ours["label_agreement"] >= 0.97 and ours["mean_abs_diff"] <= 0.02
    card = (runs.RunPaths(folder).readme).read_text(encoding="utf-8")
    assert "model.int8.onnx" in card and parent.name in card


def test_attention_views_work_on_8bit_runs_and_a_student_is_not_paired_with_its_base(parent: Path) -> None:
    from core.attention.extract import extract_attention
    from core.attention.heads import compare_run, head_importance
    from core.job import run_training

    eight = load_for_inference(str(compress_run(parent, "int8")))
    found = extract_attention(eight.model, eight.tokenizer, "great film")
    assert found.attentions.shape[:2] == (2, 4) and np.isfinite(found.attentions).all()
    assert len(head_importance(eight.model, eight.tokenizer, "great film")["ranked"]) == 8
    student = compress_run(parent, "distil", layers=1, epochs=1)
    assert run_training(student)["state"] == "finished"
    with pytest.raises(ModelError, match="cannot be paired"):
        compare_run(str(student), "great film")
