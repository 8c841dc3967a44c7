"""The launched app driven through its ``api_name`` endpoints with gradio_client."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client, handle_file

from tests.ui.conftest import SAMPLE

EXPECTED = {"/load_model", "/upload_data", "/use_sample", "/inspect_data", "/start_training", "/stop_training",
            "/resume_training", "/watch_run", "/training_status", "/predict", "/predict_file", "/list_runs"}


@pytest.fixture
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_public_endpoints_are_named(client: Client) -> None:
    endpoints = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert endpoints >= EXPECTED


def test_inspect_data_reports_sample_labels(client: Client) -> None:
    result = client.predict(str(SAMPLE), api_name="/inspect_data")
    assert result["labels"] == {"food": 60, "sports": 60, "technology": 60, "travel": 60}
    assert result["text_column"] == "text" and result["label_column"] == "topic"


def test_inspect_data_bad_file_is_a_clear_error(client: Client, tmp_path) -> None:
    bad = tmp_path / "one_class.csv"
    bad.write_text("text,label\nhello there,a\nhow are you,a\n", encoding="utf-8")
    with pytest.raises(Exception, match="at least two classes"):
        client.predict(str(bad), api_name="/inspect_data")


def test_predict_returns_probabilities_for_default_model(client: Client) -> None:
    result = client.predict("A quiet hotel by the sea.", api_name="/predict")
    total = sum(c["confidence"] for c in result["confidences"])
    assert abs(total - 1.0) < 1e-4
    assert result["label"] in {c["label"] for c in result["confidences"]}


def test_train_from_upload_then_predict_uses_the_run(client: Client, tiny_models, tmp_path) -> None:
    folder = tiny_models("bert")
    client.predict("Local folder", "", str(folder), None, api_name="/load_model")
    client.predict(handle_file(str(SAMPLE)), api_name="/upload_data")
    values = dict(epochs=1, batch_size=16, learning_rate=1e-3, max_length=32, seed=1, val_fraction=0.2,
                  warmup_ratio=0.0, lr_scheduler="linear", gradient_accumulation_steps=1, max_steps=6, eval_steps=3,
                  early_stopping_patience=0, metric_for_best_model="f1_macro", class_weights="auto", device="cpu",
                  precision="fp32", lora=False, lora_rank=8, dropout="0.1", train_embeddings=True, max_grad_norm=2,
                  val_file=None)
    outputs = client.predict(*values.values(), api_name="/start_training")
    run_dir, command = outputs[0], outputs[1]
    assert command.startswith("python -m core train") and "--max-steps 6" in command
    assert "--dropout 0.1" in command and "--train-embeddings" in command and "--max-grad-norm 2" in command
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.predict(run_dir, api_name="/training_status")
        if status["status"]["state"] not in ("queued", "running", "stopping"):
            break
        time.sleep(1)
    assert status["status"]["state"] == "finished", status
    assert status["metrics"]["labels"] == ["food", "sports", "technology", "travel"]
    client.predict("Earlier run", "", "", run_dir, api_name="/load_model")
    result = client.predict("The striker scored twice.", api_name="/predict")
    assert {c["label"] for c in result["confidences"]} == {"food", "sports", "technology", "travel"}
