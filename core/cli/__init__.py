"""Headless command line: ``python -m core inspect|train|predict|evaluate|attention|runs|stop|...``.

JSON results go to stdout; progress goes to stderr; bad input prints one ``error: ...`` line on
stderr and exits with code 2. Every command's arguments are declared once as settings dataclasses
(``options``, ``run_options``; a run's settings in ``core.config``), turned into flags by ``flags`` and
``settings``; ``parser`` lists the commands, :func:`main` reads the typed, checked options back and
``commands`` (with ``model_commands``, ``sweep_commands``, ``label_commands``, ``active_commands``,
``fill_commands``) runs them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from typing import Any

from core.cli.commands import COMMANDS
from core.cli.flags import options_from
from core.cli.parser import OPTIONS, build_parser
from core.errors import TuneScopeError
from core.models import ALLOW_PICKLE


def _quiet_libraries(verbose: bool) -> None:
    """Keep stderr for our progress and errors: no weight-loading bars or load reports from libraries."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning" if verbose else "error")
    if not verbose:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if getattr(args, "allow_pickle", False):
        os.environ[ALLOW_PICKLE] = "1"  # for this process (and a training child it starts)
    _quiet_libraries(verbose=args.command in ("train", "resume", "retry"))
    stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # libraries' prints must not corrupt the JSON
            # the command's options typed and checked against their declaration, defaults filled in
            vars(args).update(dataclasses.asdict(options_from(args, OPTIONS[args.command])))
            result = COMMANDS[args.command](args)
    except TuneScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # unexpected: still one line, traceback only on request
        if os.environ.get("TUNESCOPE_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set TUNESCOPE_DEBUG=1 for details)", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")):  # torchrun's other processes: rank 0 (or their launcher) answers
        return 0
    stdout.write(readable_json(result, getattr(stdout, "encoding", None)) + "\n")
    stdout.flush()
    return 0


def readable_json(result: Any, encoding: str | None) -> str:
    """``result`` as indented JSON with its Chinese (or any) text as itself, where the output's encoding can
    carry it; else with ``\\u`` escapes (a legacy console code page, a lone surrogate)."""
    text = json.dumps(result, indent=2, default=str, ensure_ascii=False)
    try:
        text.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return json.dumps(result, indent=2, default=str)
    return text
