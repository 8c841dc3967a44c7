"""The launched app driven through its public API endpoints (named parameters) with gradio_client."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client, handle_file

from tests.ui.conftest import SAMPLE

EXPECTED = {"/load_model", "/upload_data", "/use_sample", "/inspect_data", "/start_training", "/stop_training",
            "/resume_training", "/retry_smaller_batch", "/training_status", "/predict", "/predict_file",
            "/list_runs", "/attention"}


@pytest.fixture
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def upload(client: Client, path) -> str:
    """Upload a file through the Data tab's endpoint; returns the upload id the app issued."""
    choice = client.predict(handle_file(str(path)), "default", api_name="/upload_data")[0]
    return choice["upload"]


def test_public_endpoints_are_named(client: Client) -> None:
    endpoints = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert endpoints >= EXPECTED


def test_inspect_data_reports_sample_labels(client: Client) -> None:
    upload_id = upload(client, SAMPLE)
    assert upload_id.endswith("-sample.csv")
    result = client.predict(upload_id, api_name="/inspect_data")
    assert result["labels"] == {"food": 60, "sports": 60, "technology": 60, "travel": 60}
    assert result["text_column"] == "text" and result["label_column"] == "topic"


def test_inspect_data_bad_file_is_a_clear_error(client: Client, tmp_path) -> None:
    bad = tmp_path / "one_class.csv"
    bad.write_text("text,label\nhello there,a\nhow are you,a\n", encoding="utf-8")
    with pytest.raises(Exception, match="at least two classes"):
        upload(client, bad)


def test_inspect_data_takes_upload_ids_not_paths(client: Client) -> None:
    for forged in (str(SAMPLE), "/etc/passwd", "../../etc/passwd", "0123456789-../../x"):
        with pytest.raises(Exception, match="Unknown upload"):
            client.predict(forged, api_name="/inspect_data")


def test_predict_returns_probabilities_for_default_model(client: Client) -> None:
    result = client.predict("A quiet hotel by the sea.", api_name="/predict")
    total = sum(c["confidence"] for c in result["confidences"])
    assert abs(total - 1.0) < 1e-4
    assert result["label"] in {c["label"] for c in result["confidences"]}


def test_train_from_upload_then_predict_uses_the_run(client: Client, tiny_models) -> None:
    upload_id = upload(client, SAMPLE)
    folder = tiny_models("bert")
    settings = dict(epochs=1, batch_size=16, learning_rate=1e-3, max_length=32, seed=1, val_fraction=0.2,
                    warmup_ratio=0.0, max_steps=6, eval_steps=3, device="cpu", precision="fp32", dropout="0.1",
                    freeze_embeddings=False, max_grad_norm=2)
    started = client.predict(upload_id, base_model=f"folder:{folder}", settings=settings, api_name="/start_training")
    run_id, command = started["run_id"], started["command"]
    assert command.startswith("python -m core train") and "--max-steps 6" in command
    assert "--dropout 0.1" in command and "--train-embeddings" in command and "--max-grad-norm 2" in command
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.predict(run_id, api_name="/training_status")
        if status["status"]["state"] not in ("created", "queued", "running", "stopping"):
            break
        time.sleep(1)
    assert status["status"]["state"] == "finished", status
    assert status["metrics"]["labels"] == ["food", "sports", "technology", "travel"]
    assert run_id in {run["run_id"] for run in client.predict(api_name="/list_runs")}
    result = client.predict("The striker scored twice.", model=f"run:{run_id}", api_name="/predict")
    assert {c["label"] for c in result["confidences"]} == {"food", "sports", "technology", "travel"}
    # the default model is untouched by the run: still its untrained head
    assert {c["label"] for c in client.predict("x", api_name="/predict")["confidences"]} == {"LABEL_0", "LABEL_1"}


def test_runs_are_named_by_id_not_path(client: Client, tmp_path) -> None:
    for forged in (str(tmp_path), "../x", "/etc", ".."):
        with pytest.raises(Exception, match="not a run id|no run"):
            client.predict(forged, api_name="/training_status")
        with pytest.raises(Exception, match="not a run id|no run"):
            client.predict(forged, api_name="/stop_training")
    with pytest.raises(Exception, match="not a run id|no run"):
        client.predict("hello", model=f"run:{tmp_path}", api_name="/predict")
