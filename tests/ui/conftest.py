"""Fixtures for UI tests: the app launched in-process on a free port, with runs in tmp_path."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.polling import CEILING, wait_ready

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "assets" / "sample.csv"


def patient_client(url: str, auth: tuple[str, str] | None = None) -> Any:
    """A gradio client whose every request may take up to the tests' ceiling (httpx's default is 5 s): on a
    loaded machine the server answers later, not differently."""
    from gradio_client import Client

    return Client(url, verbose=False, auth=auth, httpx_kwargs={"timeout": CEILING})


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium, headless, as every browser test here starts it (no GPU, no sandbox, no background
    network)."""
    import shutil

    return playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _gradio_files_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Gradio's uploads and the apps' downloads go to the session's temporary folder, not /tmp/gradio."""
    before = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.getbasetemp() / "gradio")
    yield
    if before is None:
        os.environ.pop("GRADIO_TEMP_DIR", None)
    else:
        os.environ["GRADIO_TEMP_DIR"] = before


@pytest.fixture(scope="module")
def app_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runs folder of the module's app."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def app_url(app_runs: Path, tiny_models) -> Iterator[str]:
    """A running TuneScope app (default model, sample data preloaded, the tiny BERT offered) and its URL."""
    from ui.interface import build_app, launch_kwargs

    demo = build_app(data=str(SAMPLE), runs_root=str(app_runs), folders=[str(tiny_models("bert"))])
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_kwargs(demo))
    url = f"http://127.0.0.1:{port}/"
    wait_ready(url)  # the app says it is ready by answering its root page
    try:
        yield url
    finally:
        demo.close()
