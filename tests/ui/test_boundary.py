"""The trust boundary, probed from outside: the app runs as a subprocess and is driven over HTTP on loopback.

File reads through every endpoint that takes a name, run control by id only, login and read-only
sessions, an open bind refused, concurrent clients during training, memory after a burst, and kill -9
of the training child and of the app. Every request loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.polling import CEILING, poll_until, wait_ready
from tests.tiny import make_tiny_model
from tests.ui.conftest import ROOT, SAMPLE, free_port, patient_client

pytestmark = pytest.mark.slow
SECRET = "SECRET-MARKER-7f3a"


class App:
    """``python app.py`` in a subprocess, on a free loopback port."""

    def __init__(self, runs: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.runs = runs
        self.log = runs.parent / f"app-{self.port}.log"
        command = [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), "--runs", str(runs), *args]
        full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=runs.parent, env=full_env, stdout=log, stderr=log)
        wait_ready(self.url, alive=lambda: self.process.poll() is None, log=lambda: self.log.read_text()[-2000:])

    def client(self, auth: tuple[str, str] | None = None) -> Client:
        return patient_client(self.url, auth)

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident memory of the app process in MB."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the admin offers with --models, holding one tiny classifier."""
    folder = tmp_path_factory.mktemp("offered")
    make_tiny_model(folder / "tiny", "bert", labels=["food", "sports", "technology", "travel"], seed=3)
    return folder


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, models: Path) -> Iterator[App]:
    runs = tmp_path_factory.mktemp("boundary") / "runs"
    runs.mkdir()
    server = App(runs, "--models", str(models), env={"TUNESCOPE_THREADS": "1", "TUNESCOPE_STEP_DELAY": "0.15"})
    yield server
    server.stop()


def upload(client: Client, path: Path) -> str:
    return client.predict(handle_file(str(path)), "default", api_name="/upload_data")[0]["upload"]


def test_no_endpoint_reads_a_path_a_client_typed(app: App, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(f"text,label\n{SECRET} one,a\n{SECRET} two,b\n" * 5, encoding="utf-8")
    client = app.client()
    names = [str(secret), "/etc/passwd", "../../../../etc/passwd", "0123456789-../../etc/passwd", "/etc/shadow"]
    for name in names:
        for call in (dict(upload=name, api_name="/inspect_data"),
                     dict(upload=name, api_name="/start_training")):
            with pytest.raises(Exception) as caught:
                client.predict(**call)
            assert SECRET not in str(caught.value) and "root:" not in str(caught.value)
    for ref in (f"folder:{tmp_path}", "folder:/etc", "hub:/etc", "hub:../../etc", f"run:{tmp_path}", "run:..", "/etc"):
        with pytest.raises(Exception, match="not one this app offers|not a Hugging Face model id|not a run id|no run"):
            client.predict(model=ref, api_name="/load_model")
        with pytest.raises(Exception, match="not one this app offers|not a Hugging Face model id|not a run id|no run"):
            client.predict("a text", model=ref, api_name="/predict")
    for run in ("..", "../..", str(tmp_path), "/etc", "x/../../y"):
        for endpoint in ("/training_status", "/stop_training", "/resume_training", "/retry_smaller_batch",
                         "/suspects", "/retrain_fixed"):
            with pytest.raises(Exception, match="not a run id|no run"):
                client.predict(run, api_name=endpoint)
        for endpoint in ("/sweep_status", "/sweep_stop"):
            with pytest.raises(Exception, match="(?i)sweep"):
                client.predict(run, api_name=endpoint)
    for name in names:  # the pre-training text is an upload id too, never a path, in either parameter
        with pytest.raises(Exception) as caught:
            client.predict(upload_id_of(client), pretrain_upload=name, settings={"pretrain": "file"},
                           api_name="/start_training")
        assert SECRET not in str(caught.value) and "root:" not in str(caught.value)
        with pytest.raises(Exception, match="pretrain_upload"):
            client.predict(upload_id_of(client), settings={"pretrain": "file", "pretrain_file": name},
                           api_name="/start_training")
    for target in ("/etc/passwd", str(secret), str(app.runs / ".browser-secret")):
        for route in ("gradio_api/file=", "file="):
            try:
                body = urllib.request.urlopen(app.url + route + target, timeout=10).read().decode(errors="replace")
            except OSError as exc:
                assert getattr(exc, "code", 404) in (400, 403, 404, 405), exc
                continue
            assert SECRET not in body and "root:" not in body


def upload_id_of(client) -> str:
    """The sample's upload id (uploaded once per client call: uploads are content-addressed)."""
    return upload(client, SAMPLE)


def test_broken_upload_errors_do_not_echo_content(app: App, tmp_path: Path) -> None:
    client = app.client()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(f'text,label\n"{SECRET} never closed,a\nmore,b\n'.encode())
    binary = tmp_path / "shadow.csv"
    binary.write_bytes(b"\x00\x01\x02" + SECRET.encode() + b"\x00" * 100)
    for path in (broken, binary):
        with pytest.raises(Exception) as caught:
            upload(client, path)
        assert SECRET not in str(caught.value)


def test_concurrent_clients_during_training_are_all_answered_and_do_not_change_it(
        app: App, models: Path, tmp_path: Path) -> None:
    client = app.client()
    upload_id = upload(client, SAMPLE)
    settings = dict(max_steps=16, eval_steps=8, batch_size=8, learning_rate=5e-4, max_length=32, device="cpu",
                    precision="fp32", seed=5)
    started = client.predict(upload_id, base_model=f"folder:{models / 'tiny'}", settings=settings,
                             api_name="/start_training")

    def one(i: int) -> str:
        own = app.client()
        kind = i % 4
        if kind == 0:
            return own.predict("The striker scored twice.", api_name="/predict")["label"]
        view = ("Head", "Attributions", "Head importance")[kind - 1]
        return own.predict("A quiet hotel by the sea", view=view, api_name="/attention")["info"]

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(one, range(40)))
    assert len(answers) == 40 and all(answers)
    wait_state(client, started["run_id"], "finished")
    served = json.loads((app.runs / started["run_id"] / "metrics.json").read_text())
    # the same run trained alone, from the equivalent command, gives the same metrics
    alone = tmp_path / "alone"
    env = {**os.environ, "TUNESCOPE_RUNS": str(alone), "TUNESCOPE_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, *shlex.split(started["command"])[1:]], env=env, capture_output=True,
                          text=True, timeout=CEILING, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    quiet = json.loads((next(alone.iterdir()) / "metrics.json").read_text())
    assert served["accuracy"] == quiet["accuracy"] and served["confusion_matrix"] == quiet["confusion_matrix"]
    assert served["eval_loss"] == pytest.approx(quiet["eval_loss"], rel=1e-4)


def test_memory_stays_bounded_after_a_burst_of_long_attributions(app: App) -> None:
    text = " ".join(["the night train to the coast was delayed by four hours because of snow"] * 40)
    client = app.client()
    client.predict("warm up", view="Head", api_name="/attention")
    before, _ = app.rss_mb()

    def one(i: int) -> str:
        return app.client().predict(text + f" {i}", view="Attributions", api_name="/attention")["info"]

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(one, range(6)))
    after, peak = app.rss_mb()
    print(f"app RSS: {before:.0f} MB before, {peak:.0f} MB peak, {after:.0f} MB after six 512-token attributions")
    assert peak - before < 2500 and after - before < 1200


def test_read_only_sessions_cannot_train_or_control_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    server = App(runs, "--auth", "ed:secret-1", "--auth", "viewer:secret-2:viewer")
    try:
        with pytest.raises(Exception, match="(?i)login|auth|credential"):  # noqa: B017
            server.client(("ed", "wrong"))
        editor, viewer = server.client(("ed", "secret-1")), server.client(("viewer", "secret-2"))
        upload_id = upload(editor, SAMPLE)
        for call in (dict(upload=upload_id, api_name="/start_training"),):
            with pytest.raises(Exception, match="read-only"):
                viewer.predict(**call)
        run = editor.predict(upload_id, settings={"max_steps": 2, "max_length": 16, "batch_size": 8},
                             api_name="/start_training")["run_id"]
        for endpoint in ("/stop_training", "/resume_training", "/retry_smaller_batch", "/retrain_fixed",
                         "/sweep_stop"):
            with pytest.raises(Exception, match="read-only"):
                viewer.predict(run, api_name=endpoint)
        with pytest.raises(Exception, match="read-only"):
            viewer.predict(upload_id, api_name="/sweep_start")
        assert viewer.predict("a text", api_name="/predict")["label"]
        editor.predict(run, api_name="/stop_training")
    finally:
        server.stop()


def test_an_open_bind_needs_a_login_or_an_explicit_no_auth(tmp_path: Path) -> None:
    app_py = str(ROOT / "app.py")
    done = subprocess.run([sys.executable, app_py, "--host", "0.0.0.0", "--runs", str(tmp_path)],
                          capture_output=True, text=True, timeout=CEILING)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "--auth" in done.stderr and "--no-auth" in done.stderr
    warned = subprocess.Popen([sys.executable, app_py, "--host", "0.0.0.0", "--no-auth", "--port",
                               str(free_port()), "--runs", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    try:
        assert "warning: serving on 0.0.0.0 with no login" in warned.stderr.readline()
    finally:
        warned.kill()
        warned.wait(timeout=30)


def test_kill_9_of_the_child_and_of_the_app(tmp_path: Path, models: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    env = {"TUNESCOPE_THREADS": "1", "TUNESCOPE_STEP_DELAY": "0.4"}
    server = App(runs, "--models", str(models), env=env)
    try:
        client = server.client()
        settings = dict(max_steps=20, eval_steps=5, batch_size=8, max_length=32, device="cpu", precision="fp32")
        run = client.predict(upload(client, SAMPLE), base_model=f"folder:{models / 'tiny'}", settings=settings,
                             api_name="/start_training")["run_id"]
        status = wait_for_step(client, run, 7)
        os.kill(status["pid"], signal.SIGKILL)
        wait_state(client, run, "interrupted")
        client.predict(run, api_name="/resume_training")
        wait_for_step(client, run, 12)
        server.stop(signal.SIGKILL)  # the app dies; the training child lives on in its own session
        server = App(runs, "--models", str(models), env=env)
        client = server.client()
        wait_state(client, run, "finished", passing=("queued", "running"))
        events = [json.loads(line) for line in (runs / run / "events.jsonl").read_text().splitlines()]
        starts = [e["resumed_from_step"] for e in events if e["event"] == "started"]
        assert starts[0] == 0 and starts[1] >= 5 and events[-1]["event"] == "finished"
    finally:
        server.stop()


def wait_for_step(client: Client, run: str, step: int) -> dict:
    def reached() -> dict | None:
        status = client.predict(run, api_name="/training_status")
        steps = [e.get("step") or 0 for e in status["last_events"] if e.get("event") == "step"]
        return status["status"] if steps and max(steps) >= step and status["status"]["state"] == "running" else None

    return poll_until(reached, f"run {run} did not reach step {step}")


def wait_state(client: Client, run: str, state: str, passing: tuple[str, ...] | None = None) -> dict:
    """Poll /training_status until the run reads ``state``; with ``passing``, every state seen before is one of them."""
    def there() -> dict | None:
        status = client.predict(run, api_name="/training_status")["status"]
        assert passing is None or status["state"] in (state, *passing), status
        return status if status["state"] == state else None

    return poll_until(there, f"run {run} did not become {state}")


def test_a_damaged_latest_checkpoint_is_skipped_by_name_on_resume(app: App, models: Path) -> None:
    client = app.client()
    settings = dict(max_steps=12, eval_steps=4, batch_size=8, max_length=32, device="cpu", precision="fp32")
    run = client.predict(upload(client, SAMPLE), base_model=f"folder:{models / 'tiny'}", settings=settings,
                         api_name="/start_training")["run_id"]
    wait_for_step(client, run, 9)
    client.predict(run, api_name="/stop_training")
    wait_state(client, run, "stopped")
    checkpoints = sorted((app.runs / run / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    newest = checkpoints[-1]
    weights = newest / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])  # a half-written save
    client.predict(run, api_name="/resume_training")
    wait_state(client, run, "finished", passing=("queued", "running"))
    events = [json.loads(line) for line in (app.runs / run / "events.jsonl").read_text().splitlines()]
    skipped = [e for e in events if e["event"] == "checkpoint_skipped"]
    assert skipped and newest.name in skipped[0]["message"] and "truncated" in skipped[0]["message"]
    assert "PytorchStreamReader" not in skipped[0]["message"] and "incomplete metadata" not in skipped[0]["message"]
