"""Judge, compare, share: the run endpoints of the launched app, and the presenter mode as a subprocess."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.polling import poll_until, wait_ready
from tests.ui.conftest import ROOT, SAMPLE, free_port, patient_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return patient_client(app_url)


@pytest.fixture(scope="module")
def two_runs(client: Client, tiny_models) -> list[str]:
    """Two finished runs of the tiny model on the sample data (different learning rates)."""
    upload = client.predict(handle_file(str(SAMPLE)), "default", api_name="/upload_data")[0]["upload"]
    started = []
    for rate in (1e-3, 3e-3):
        settings = dict(max_steps=6, eval_steps=3, batch_size=16, max_length=32, learning_rate=rate, device="cpu",
                        precision="fp32", seed=1)
        started.append(client.predict(upload, base_model=f"folder:{tiny_models('bert')}", settings=settings,
                                      api_name="/start_training")["run_id"])
        poll_until(lambda: client.predict(started[-1], api_name="/training_status")["status"]["state"] == "finished",
                   f"run {started[-1]} did not finish")
    return started


def test_evaluate_a_run_on_its_validation_set_and_on_a_file(client: Client, two_runs: list[str],
                                                            app_runs: Path) -> None:
    import json

    result = client.predict(two_runs[0], api_name="/evaluate")
    report = result["report"]
    saved = json.loads((app_runs / two_runs[0] / "metrics.json").read_text())
    assert report["accuracy"] == saved["accuracy"] and report["confusion_matrix"] == saved["confusion_matrix"]
    assert {"f1_weighted", "ece", "reliability", "per_class"} <= set(report)
    upload = client.predict(handle_file(str(SAMPLE)), "default", api_name="/upload_data")[0]["upload"]
    on_file = client.predict(two_runs[0], upload=upload, api_name="/evaluate")["report"]
    assert on_file["samples"] == 240


def test_compare_rename_tag_and_delete_runs(client: Client, two_runs: list[str], app_runs: Path) -> None:
    diff = client.predict(*two_runs, api_name="/diff_runs")
    assert "train.learning_rate" in diff["changed"]
    meta = client.predict(two_runs[1], name="fast <b>lr</b>", tags=["try", "lr"], api_name="/describe_run")
    assert meta["name"] == "fast <b>lr</b>" and set(meta["tags"]) == {"try", "lr"}
    listed = {r["run_id"]: r for r in client.predict(api_name="/list_runs")}
    assert listed[two_runs[1]]["name"] == "fast <b>lr</b>"
    with pytest.raises(Exception, match="not a run id|no run"):
        client.predict("../..", api_name="/delete_run")


def test_report_and_exports_download(client: Client, two_runs: list[str], tmp_path: Path) -> None:
    report = Path(client.predict(two_runs[0], api_name="/report_file"))
    html = report.read_text(encoding="utf-8")
    assert html.count("<html") == 1 and 'src="http' not in html and "Confusion" in html
    exported = Path(client.predict(two_runs[0], format="zip", api_name="/export_file"))
    with zipfile.ZipFile(exported) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    assert any(name.endswith("config.json") for name in names) and any(name.endswith("README.md") for name in names)
    from transformers import pipeline

    folder = next(p.parent for p in tmp_path.rglob("config.json"))
    classifier = pipeline("text-classification", model=str(folder))
    assert classifier("The striker scored twice.")[0]["label"] in {"food", "sports", "technology", "travel"}


def test_presenter_mode_shows_only_its_runs(two_runs: list[str], app_runs: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--runs", str(app_runs),
                                    "--demo", two_runs[0]], stdout=out, stderr=out)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_ready(url, alive=lambda: process.poll() is None, log=lambda: log.read_text()[-2000:])
        demo = patient_client(url)
        endpoints = set(demo.view_api(return_format="dict", print_info=False)["named_endpoints"])
        assert endpoints == {"/predict"}  # nothing can train, stop, delete, upload or browse
        result = demo.predict("The striker scored twice.", api_name="/predict")
        assert result["label"] in {"food", "sports", "technology", "travel"} and "<span" in result["evidence"]
        with pytest.raises(Exception, match="only the runs"):
            demo.predict("a text", run_id=two_runs[1], api_name="/predict")
    finally:
        process.terminate()
        process.wait(timeout=30)
