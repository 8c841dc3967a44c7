"""``python app.py --mcp``: the public operations as MCP tools, driven end to end by the real ``mcp`` client.

The app runs as a subprocess on a free loopback port with a temporary runs folder; the test lists the tools (every
published operation, each parameter described), uploads a small file as a ``data:`` URL, trains a tiny run to the
end (polling its status under the tests' ceiling), predicts with it, ranks a pool and labels a row. Accounts and
``--mcp`` together are refused in one sentence.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.polling import CEILING, poll_until
from tests.ui.conftest import ROOT
from tests.ui.test_boundary import App
from ui.api.endpoints import ENDPOINTS
from ui.api.tools import ARGS

pytest.importorskip("mcp")
from mcp import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402

pytestmark = pytest.mark.slow
SETTINGS = {"epochs": 1, "batch_size": 8, "learning_rate": 1e-3, "max_length": 32, "max_steps": 6, "eval_steps": 3,
            "device": "cpu", "precision": "fp32", "val_fraction": 0.2}


def data_url(path: Path) -> str:
    return "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()


class Tools:
    """One MCP session's tool calls, answered as Python data (Gradio's MCP server writes an answer as the Python
    text of the value, ``str(value)``)."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def __call__(self, name: str, **arguments: Any) -> Any:
        result = await self.session.call_tool(name, arguments)
        text = result.content[0].text if result.content else ""
        if result.isError:
            raise RuntimeError(text)
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text


async def drive(url: str, train: Path, pool: Path, tiny: Path) -> dict[str, Any]:
    async with streamablehttp_client(url) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        call = Tools(session)
        upload = await call("upload_file", file=data_url(train))
        started = await call("start_training", upload=upload, base_model=f"folder:{tiny}", settings=SETTINGS)
        run_id = started["run_id"]

        def ended() -> dict[str, Any] | None:
            status = asyncio.run_coroutine_threadsafe(call("training_status", run_id=run_id), loop).result(CEILING)
            return status if status["status"]["state"] not in ("created", "queued", "running", "stopping") else None

        loop = asyncio.get_running_loop()
        status = await asyncio.to_thread(poll_until, ended, f"run {run_id} did not end")
        predicted = await call("predict", text="what a wonderful film", model=f"run:{run_id}")
        ranked = await call("next_rows", run_id=run_id, pool_upload=await call("upload_file", file=data_url(pool)),
                            batch=3)
        labelled = await call("label_row", run_id=run_id, session=ranked["session"], row=ranked["next"]["row"],
                              label=ranked["labels"][0])
        with pytest.raises(RuntimeError, match="not one of this run's labels"):
            await call("label_row", run_id=run_id, session=ranked["session"], row=ranked["next"]["row"], label="nope")
        with pytest.raises(RuntimeError, match="provide a url"):  # Gradio's MCP server takes URLs only
            await call("upload_file", file="/etc/passwd")
        return {"tools": tools, "status": status, "predicted": predicted, "ranked": ranked, "labelled": labelled}


def forged_upload(url: str, path: Path) -> str:
    """What /upload_file answers a client that names a server file instead of sending one (raw HTTP)."""
    import httpx

    payload = {"data": [{"path": str(path), "meta": {"_type": "gradio.FileData"}}]}
    with httpx.Client(base_url=url, timeout=CEILING) as http:
        event = http.post("gradio_api/call/upload_file", json=payload).json()["event_id"]
        return http.get(f"gradio_api/call/upload_file/{event}").text


def test_mcp_tools_train_and_predict(tmp_path: Path, tiny_models, sentiment_csv: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    tiny = tiny_models("bert")
    pool = tmp_path / "pool.csv"
    pool.write_text("text\n" + "\n".join(f"a film number {i} that was {'great' if i % 2 else 'dull'}" for i in range(12)))
    app = App(runs, "--mcp", "--data", "", "--model", str(tiny))
    try:
        found = asyncio.run(drive(f"{app.url}gradio_api/mcp/", sentiment_csv, pool, tiny))
        assert "event: error" in forged_upload(app.url, sentiment_csv)  # a server path, not a file sent
    finally:
        app.stop()
    tools = found["tools"]
    assert {name for _, name, _ in ENDPOINTS} <= set(tools) and "on_file" not in tools
    for name in ("predict", "start_training", "next_rows", "upload_file"):
        described = tools[name].inputSchema["properties"]
        assert tools[name].description and all(described[p].get("description") for p in ARGS[name]), name
    assert found["status"]["status"]["state"] == "finished"
    assert found["predicted"]["label"] in {"positive", "negative"}
    assert len(found["ranked"]["rows"]) == 3 and found["labelled"]["counts"]["labelled"] == 1


def test_mcp_with_accounts_is_refused(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), "--mcp", "--auth", "ann:secret", "--runs",
                           str(tmp_path)], capture_output=True, text=True, timeout=CEILING)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --mcp cannot be combined with accounts")
