"""The launched app driven through its public API endpoints (named parameters) with gradio_client."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.polling import CEILING, poll_until
from tests.ui.conftest import ROOT, SAMPLE, patient_client

EXPECTED = {"/load_model", "/upload_data", "/use_sample", "/inspect_data", "/drop_duplicates", "/start_training", "/stop_training",
            "/resume_training", "/retry_smaller_batch", "/training_status", "/predict", "/predict_file",
            "/list_runs", "/attention", "/fill", "/suspects", "/retrain_fixed", "/sweep_start", "/sweep_status",
            "/sweep_stop", "/evaluate", "/similar", "/report_file", "/export_file", "/share_run", "/upload_file",
            "/next_rows", "/labelling_session", "/label_row", "/skip_row", "/undo_label", "/new_labels_file",
            "/retrain_labelled"}


@pytest.fixture
def client(app_url: str) -> Client:
    return patient_client(app_url)


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


def test_inspect_data_refuses_an_impossible_max_length(client: Client) -> None:
    upload_id = upload(client, SAMPLE)
    for bad in (-1, 0, 10**9):
        with pytest.raises(Exception, match="max_length must be between 8 and 8192"):
            client.predict(upload_id, max_length=bad, api_name="/inspect_data")


def test_inspect_data_takes_upload_ids_not_paths(client: Client) -> None:
    for forged in (str(SAMPLE), "/etc/passwd", "../../etc/passwd", "0123456789-../../x"):
        with pytest.raises(Exception, match="Unknown upload"):
            client.predict(forged, api_name="/inspect_data")


def test_drop_duplicates_gives_a_new_upload_without_repeats(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    rows = ["Same text,a", "same  TEXT,a", "ＳＡＭＥ　ＴＥＸＴ,a"] + [f"text {i},{'ab'[i % 2]}" for i in range(10)]
    path.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    upload_id = upload(client, path)
    assert client.predict(upload_id, api_name="/inspect_data")["duplicate_groups"] == 1
    done = client.predict(upload_id, api_name="/drop_duplicates")
    assert done["rows_dropped"] == 2 and done["upload"].endswith("-dups-no-duplicates.csv")
    assert client.predict(done["upload"], api_name="/inspect_data")["duplicates"] == 0
    with pytest.raises(Exception, match="Unknown upload"):
        client.predict(str(path), api_name="/drop_duplicates")


def test_predict_returns_probabilities_for_default_model(client: Client) -> None:
    result = client.predict("A quiet hotel by the sea.", api_name="/predict")
    total = sum(c["confidence"] for c in result["confidences"])
    assert abs(total - 1.0) < 1e-4
    assert result["label"] in {c["label"] for c in result["confidences"]}


def test_train_from_upload_then_predict_uses_the_run(client: Client, tiny_models, tmp_path: Path,
                                                     app_runs: Path) -> None:
    upload_id = upload(client, SAMPLE)
    folder = tiny_models("bert")
    settings = dict(epochs=1, batch_size=16, learning_rate=1e-3, max_length=32, seed=1, val_fraction=0.2,
                    warmup_ratio=0.0, max_steps=6, eval_steps=3, device="cpu", precision="fp32", dropout="0.1",
                    freeze_embeddings=False, max_grad_norm=2)
    started = client.predict(upload_id, base_model=f"folder:{folder}", settings=settings, api_name="/start_training")
    run_id, command = started["run_id"], started["command"]
    assert command.startswith("python -m core train") and "--max-steps 6" in command
    assert "--dropout 0.1" in command and "--train-embeddings" in command and "--max-grad-norm 2" in command

    def ended() -> dict | None:
        status = client.predict(run_id, api_name="/training_status")
        return status if status["status"]["state"] not in ("created", "queued", "running", "stopping") else None

    status = poll_until(ended, f"run {run_id} did not end")
    assert status["status"]["state"] == "finished", status
    assert status["metrics"]["labels"] == ["food", "sports", "technology", "travel"]
    assert run_id in {run["run_id"] for run in client.predict(api_name="/list_runs")}
    result = client.predict("The striker scored twice.", model=f"run:{run_id}", api_name="/predict")
    assert {c["label"] for c in result["confidences"]} == {"food", "sports", "technology", "travel"}
    # the default model is untouched by the run: still its untrained head
    assert {c["label"] for c in client.predict("x", api_name="/predict")["confidences"]} == {"LABEL_0", "LABEL_1"}
    app_config = json.loads((app_runs / run_id / "config.json").read_text(encoding="utf-8"))
    assert app_config["model"] == str(folder)  # the base model chosen, not an earlier run
    copied_command_trains_the_same_config(command, tmp_path, app_config)


def copied_command_trains_the_same_config(command: str, tmp_path: Path, app_config: dict) -> None:
    """The Train tab's equivalent command, run as a user would copy it, builds the run's configuration."""
    runs_dir = tmp_path / "copied-runs"
    env = {**os.environ, "TUNESCOPE_RUNS": str(runs_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=CEILING)
    assert done.returncode == 0, done.stderr[-2000:]
    copied = json.loads((next(runs_dir.iterdir()) / "config.json").read_text(encoding="utf-8"))
    for part in ("model", "train", "data", "labels", "data_hash"):
        assert copied[part] == app_config[part], part


def test_concurrent_predict_and_attention_leave_threads_and_rng_alone(client: Client, app_url: str) -> None:
    import torch

    threads, rng = torch.get_num_threads(), torch.random.get_rng_state()
    seen: set[int] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.add(torch.get_num_threads())
            time.sleep(0.005)

    def call(i: int) -> object:
        own = patient_client(app_url)
        if i % 3 == 0:
            return own.predict("a quiet hotel by the sea", api_name="/predict")
        view = ("Head", "Head importance", "Attributions")[i % 3 if i % 3 else 1]
        return own.predict("the striker scored twice", view=view, api_name="/attention")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(call, range(12)))
    finally:
        stop.set()
        watcher.join()
    assert all(results)
    assert seen == {threads} and torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng)


def test_runs_are_named_by_id_not_path(client: Client, tmp_path) -> None:
    for forged in (str(tmp_path), "../x", "/etc", ".."):
        with pytest.raises(Exception, match="not a run id|no run"):
            client.predict(forged, api_name="/training_status")
        with pytest.raises(Exception, match="not a run id|no run"):
            client.predict(forged, api_name="/stop_training")
    with pytest.raises(Exception, match="not a run id|no run"):
        client.predict("hello", model=f"run:{tmp_path}", api_name="/predict")
