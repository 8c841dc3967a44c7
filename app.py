"""Launch the TuneScope web app: ``python app.py`` serves http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "assets" / "sample.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="TuneScope: fine-tune and inspect text classifiers.")
    parser.add_argument("--host", default=os.environ.get("TUNESCOPE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TUNESCOPE_PORT", "7860")))
    parser.add_argument("--data", default=str(SAMPLE), help="labelled file preloaded in the Data tab ('' for none)")
    parser.add_argument("--model", default="default", help="'default', a Hugging Face id, a folder or a run folder")
    parser.add_argument("--runs", default=None, help="folder for runs (default: $TUNESCOPE_RUNS or ./runs)")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    from ui.interface import build_app, launch_kwargs

    demo = build_app(data=args.data or None, model=args.model, runs_root=args.runs)
    demo.queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port, **launch_kwargs())


if __name__ == "__main__":
    main()
