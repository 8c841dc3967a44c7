"""Launch the TuneScope web app: ``python app.py`` serves http://127.0.0.1:7860.

The flags are the admin's: they may name files and folders (``--data``, ``--model``, ``--runs``);
clients of the app only ever refer to uploads and runs by the ids the app gave them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "assets" / "sample.csv"


def model_reference(model: str, runs: str | None) -> str:
    """The admin's ``--model`` ('default', a hub id, a model folder or a run folder) as a model reference."""
    from core.runs import runs_root

    text = (model or "default").strip()
    if text == "default":
        return text
    path = Path(text).expanduser()
    if not path.is_dir():
        return f"hub:{text}"
    root = runs_root(runs).resolve()
    if path.resolve().parent == root and (path / "config.json").exists() and (path / "events.jsonl").exists():
        return f"run:{path.name}"
    return f"folder:{path.resolve()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="TuneScope: fine-tune and inspect text classifiers.")
    parser.add_argument("--host", default=os.environ.get("TUNESCOPE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TUNESCOPE_PORT", "7860")))
    parser.add_argument("--data", default=str(SAMPLE), help="labelled file preloaded in the Data tab ('' for none)")
    parser.add_argument("--model", default="default", help="'default', a Hugging Face id, a folder or a run folder")
    parser.add_argument("--runs", default=None, help="folder for runs (default: $TUNESCOPE_RUNS or ./runs)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TUNESCOPE_SERVER_THREADS", "1")),
                        help="torch threads per request in the server, set once at start-up (default 1: "
                             "concurrent requests then use the cores in parallel); training runs choose their own")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    import torch

    torch.set_num_threads(max(1, args.threads))  # once, before any request: never changed while serving

    from ui.interface import build_app, launch_kwargs

    demo = build_app(data=args.data or None, model=model_reference(args.model, args.runs), runs_root=args.runs)
    demo.queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port, **launch_kwargs())


if __name__ == "__main__":
    main()
