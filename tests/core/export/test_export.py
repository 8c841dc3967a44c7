"""Exports: the zip loads with transformers.pipeline and agrees with the app; ONNX matches PyTorch to 1e-3."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError
from core.export import export_run
from core.export import onnx_export as onnx_module
from core.export.archive import SAFE_NAME
from tests.core.report.tiny_run import HOSTILE_LABEL

TEXTS = ["great film", "hated it", "a chore to watch, and dull and lifeless from the first minute to the last", "ok"]


def unzip(archive: Path, into: Path) -> Path:
    """Extract ``archive`` after checking every member is a plain file under one safe folder; returns that folder."""
    with zipfile.ZipFile(archive) as handle:
        names = handle.namelist()
        folders = {name.split("/")[0] for name in names}
        assert len(folders) == 1 and SAFE_NAME.match(folders.pop())
        for name in names:
            parts = name.split("/")
            assert len(parts) == 2 and SAFE_NAME.match(parts[1]), name
        handle.extractall(into)
    return into / names[0].split("/")[0]


def test_zip_loads_with_pipeline_and_agrees_with_the_app(tiny_run: Path, tmp_path: Path) -> None:
    from transformers import pipeline

    from core.inference import load_for_inference, predict_texts

    os.symlink("/etc/hostname", tiny_run / "model" / "linked.txt")  # links are never packed
    try:
        result = export_run(tiny_run, "zip", tmp_path / "shared.zip")
    finally:
        (tiny_run / "model" / "linked.txt").unlink()
    folder = unzip(Path(result["output"]), tmp_path / "unzipped")
    assert folder.name == result["folder"] == "run-b-1"  # 'run <b>1' made safe
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(result["files"])
    assert "linked.txt" not in result["files"] and not (folder / "linked.txt").exists()
    assert f'model="{folder.name}"' in (folder / "README.md").read_text(encoding="utf-8")  # no server path
    rows = pipeline("text-classification", model=str(folder), top_k=None)(TEXTS)
    loaded = load_for_inference(str(tiny_run))
    app = predict_texts(loaded, TEXTS, max_length=64, precision="fp32")  # the exact copy (auto may use bf16)
    shown = predict_texts(loaded, TEXTS, max_length=64)  # what the app shows
    assert [r["label"] for r in shown] == [r["label"] for r in app]
    for theirs, ours in zip(rows, app, strict=True):
        scores = {r["label"]: r["score"] for r in theirs}
        assert set(scores) == {HOSTILE_LABEL, "good"}  # the user's label names
        assert max(scores, key=scores.get) == ours["label"]
        for label, probability in ours["scores"].items():
            assert abs(scores[label] - probability) < 1e-5


def test_cli_zip_default_output_and_error_lines(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from core.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export", str(tiny_run)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert Path(out["output"]) == tmp_path / "run-b-1.zip" and out["bytes"] > 0
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    for name in ("config.json", "status.json"):
        (unfinished / name).write_text((tiny_run / name).read_text())
    cases = [(["export", str(tmp_path / "nowhere")], "does not exist"),
             (["export", str(tmp_path)], "not a TuneScope run folder"),
             (["export", str(unfinished)], "has no saved model yet"),
             (["report", str(tmp_path / "nowhere")], "does not exist"),
             (["report", str(unfinished)], "has no saved model yet")]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], (argv, err)
    with pytest.raises(SystemExit) as exit_info:  # bad usage: the parser's one line and exit code 2
        main(["export", str(tiny_run), "--format", "tflite"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: argument --format: invalid choice"), err


def test_unknown_format_is_refused_in_python_too(tiny_run: Path) -> None:
    with pytest.raises(ConfigError, match="choose one of zip, onnx"):
        export_run(tiny_run, "tflite")


def test_missing_onnx_packages_name_the_extra(tiny_run: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    real = onnx_module.importlib.util.find_spec
    monkeypatch.setattr(onnx_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(ConfigError, match=r"needs (onnx, )?onnxruntime(, onnxscript)?: pip install 'tunescope\[onnx\]'\.$"):
        export_run(tiny_run, "onnx")
    assert main(["export", str(tiny_run), "--format", "onnx"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.fixture(scope="module")
def onnx_export(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    for name in ("onnx", "onnxruntime", "onnxscript"):
        pytest.importorskip(name)
    return export_run(tiny_run, "onnx", tmp_path_factory.mktemp("onnx") / "model-onnx.zip")


def test_onnx_matches_pytorch_on_the_validation_rows(onnx_export: dict, tiny_run: Path, tmp_path: Path) -> None:
    import onnxruntime
    from transformers import AutoTokenizer

    from core.inference import load_for_inference, predict_texts

    val_rows = json.loads((tiny_run / "config.json").read_text())["resolved"]["val_rows"]
    assert onnx_export["checked_on"] == "validation rows" and onnx_export["checked_rows"] == val_rows
    assert onnx_export["max_abs_diff"] <= 1e-3 and onnx_export["outputs"] == ["logits"]
    assert onnx_export["inputs"][:2] == ["input_ids", "attention_mask"]
    folder = unzip(Path(onnx_export["output"]), tmp_path)
    assert folder.name == "run-b-1-onnx"
    assert not list(folder.glob("*.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    assert set(labels) == {HOSTILE_LABEL, "good"}
    assert json.loads((folder / "onnx_export.json").read_text())["max_abs_diff"] == onnx_export["max_abs_diff"]
    # the unzipped folder alone: dynamic batch and sequence, the app's probabilities to 1e-3
    tokenizer = AutoTokenizer.from_pretrained(folder)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    app = predict_texts(load_for_inference(str(tiny_run)), TEXTS, max_length=64, precision="fp32")
    for batch in (TEXTS[:1], TEXTS):
        encoded = tokenizer(batch, padding=True, truncation=True, max_length=64, return_tensors="np")
        logits = session.run(None, {i.name: encoded[i.name] for i in session.get_inputs()})[0]
        probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        expected = np.array([[row["scores"][label] for label in labels] for row in app[: len(batch)]])
        assert np.abs(probabilities - expected).max() < 1e-3


def test_onnx_export_fails_in_one_line_above_the_tolerance(tiny_run: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("onnx", "onnxruntime", "onnxscript"):
        pytest.importorskip(name)
    from core.cli import main

    monkeypatch.setattr(onnx_module, "parity", lambda *args, **kwargs: (0.25, 0.1, 0.9))
    assert main(["export", str(tiny_run), "--format", "onnx", "--output", str(tmp_path / "bad.zip")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: The ONNX model's probabilities differ from PyTorch's by up "
                                               "to 2.50e-01"), err
    assert list(tmp_path.iterdir()) == []  # nothing written
