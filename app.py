"""Launch the TuneScope web app: ``python app.py`` serves http://127.0.0.1:7860.

The flags are the admin's: they may name files and folders (``--data``, ``--model``, ``--models``,
``--runs``, ``--auth-file``); clients of the app only ever refer to uploads, runs and offered model
folders by the ids the app gave them. Any address other than loopback needs accounts or ``--no-auth``.
``--devices`` says which devices the app's queue trains on (``core.runs.slots``): one run per device at a time.
``--mcp`` also serves the public operations as MCP tools (Gradio's MCP server, ``/gradio_api/mcp/``); a tool call
carries no login, so it is refused together with accounts (``MCP_WITH_ACCOUNTS``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.devices import INFERENCE_DEVICE, inference_device
from core.errors import ConfigError, TuneScopeError
from core.runs.jobs import RUNNERS
from core.runs.jobs import client as cluster_client
from core.runs.slots import parse_devices
from ui.api.access import Access, add_flags, check_bind, from_args, load_accounts
from ui.api.session import FOLDER, ModelRef, Places, offered_folders

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "assets" / "sample.csv"
MCP_WITH_ACCOUNTS = ("--mcp cannot be combined with accounts: MCP tool calls carry no login, so they would bypass it. "
                     "Serve MCP from an app without --auth/--auth-file on loopback, or leave --mcp out.")


def build_presenter(demo_runs: list[str], runs: str | None) -> object:
    """The presenter page for the admin's runs (ids, or folders inside the runs folder)."""
    from ui.tabs.demo.page import Demo

    folders = {Path(run).expanduser().resolve().parent for run in demo_runs if Path(run).expanduser().is_dir()}
    places = Places.at(runs or (next(iter(folders)) if len(folders) == 1 else None))
    return Demo([ModelRef.from_admin(run, runs=places.root).value for run in demo_runs], places).build()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="TuneScope: fine-tune and inspect text classifiers.")
    parser.add_argument("--host", default=os.environ.get("TUNESCOPE_HOST", "127.0.0.1"),
                        help="address to listen on (default loopback; any other needs --auth or --no-auth)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TUNESCOPE_PORT", "7860")))
    parser.add_argument("--data", default=str(SAMPLE), help="labelled file preloaded in the Data tab ('' for none)")
    parser.add_argument("--model", default="default", help="'default', a Hugging Face id, a folder or a run folder")
    parser.add_argument("--models", action="append", metavar="DIR",
                        help="offer every model folder inside DIR in the Model tab (repeatable)")
    parser.add_argument("--runs", default=None, help="folder for runs (default: $TUNESCOPE_RUNS or ./runs)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TUNESCOPE_SERVER_THREADS", "1")),
                        help="torch threads per request in the server, set once at start-up (default 1: "
                             "concurrent requests then use the cores in parallel); training runs choose their own")
    parser.add_argument("--devices", default=os.environ.get("TUNESCOPE_DEVICES", "auto"),
                        help="devices the queue trains runs on, one run per device at a time: 'auto' (default: every "
                             "CUDA GPU, else the CPU), 'cpu', 'cuda:0,cuda:1', or 'cpu:0,cpu:1' (two CPU runs at once)")
    parser.add_argument("--inference-device", default=os.environ.get("TUNESCOPE_INFERENCE_DEVICE", "auto"),
                        choices=("auto", "cpu", "cuda", "mps"),
                        help="where the app's loaded models predict, explain and draw attention: 'auto' (default: a "
                             "GPU when there is one), or 'cpu' to leave the GPUs to training runs")
    parser.add_argument("--runner", default=os.environ.get("TUNESCOPE_RUNNER", "local"), choices=RUNNERS,
                        help="where training processes run: 'local' (default: this machine, one run per device) or "
                             "'ray' (Ray Jobs on the cluster at --ray-address; the runs folder must be on storage the "
                             "nodes see at the same path; needs the [cluster] extra)")
    parser.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"), metavar="URL",
                        help="the Ray cluster's job address for --runner ray, e.g. http://head:8265 "
                             "(default: $RAY_ADDRESS)")
    parser.add_argument("--auth", action="append", metavar="USER:PASSWORD[:ROLE]",
                        help="an account (repeatable); ROLE is admin (sees and changes everything), member (the "
                             "default: its own work and the runs shared with the lab; 'editor' is an old name for "
                             "it) or viewer (the shared runs only; cannot upload or train)")
    parser.add_argument("--auth-file", metavar="FILE", help="accounts, one user:password[:role] per line")
    parser.add_argument("--no-auth", action="store_true", help="serve a non-loopback address with no login")
    parser.add_argument("--read-only", action="store_true",
                        help="no session may train, stop, resume, retry or delete")
    parser.add_argument("--demo", nargs="+", metavar="RUN",
                        help="presenter mode for these runs (ids or folders in the runs folder): name, scores, a "
                             "text box, evidence and curated examples; nothing can be trained or changed")
    parser.add_argument("--mcp", action="store_true",
                        help="also serve the public operations as MCP tools for assistants at /gradio_api/mcp/ "
                             "(needs the [mcp] extra; not with accounts: MCP calls carry no login)")
    add_flags(parser)  # what one account may hold: runs, heavy jobs, disk, and the ages of uploads and downloads
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported (ui.interface)

    try:
        os.environ["TUNESCOPE_DEVICES"] = ",".join(parse_devices(args.devices))  # what the app's queue reads
        os.environ["TUNESCOPE_RUNNER"] = args.runner  # where the queue's runs train (core.runs.cluster)
        os.environ[INFERENCE_DEVICE] = args.inference_device
        inference_device()  # a device this machine lacks: one sentence, exit 2
        if args.ray_address:
            os.environ["RAY_ADDRESS"] = args.ray_address
        if args.runner != "local":
            cluster_client()  # Ray installed, its address given and answering: else one sentence, exit 2
        accounts = load_accounts(args.auth, args.auth_file)
        limits = from_args(args)
        warning = check_bind(args.host, accounts, args.no_auth)
        model = ModelRef.from_admin(args.model or None, runs=Places.at(args.runs).root)  # a run inside --runs: its id
        folders = offered_folders([model.value] if model.kind == FOLDER else [], args.models)
        if args.mcp and accounts:
            raise ConfigError(MCP_WITH_ACCOUNTS)
    except (TuneScopeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if warning:
        print(warning, file=sys.stderr)

    import torch

    torch.set_num_threads(max(1, args.threads))  # once, before any request: never changed while serving

    from ui.interface import build_app, launch_kwargs

    access = Access(accounts, read_only=args.read_only or bool(args.demo))
    try:
        demo = (build_presenter(args.demo, args.runs) if args.demo else
                build_app(data=args.data or None, model=model.format(), runs_root=args.runs, folders=folders, access=access,
                          limits=limits))
    except TuneScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.mcp:
        from ui.api.endpoints import published_tools_only

        published_tools_only(demo)
    auth = access.check_login if accounts else None
    demo.queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port, auth=auth,
                                                   mcp_server=args.mcp, **launch_kwargs(demo))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
