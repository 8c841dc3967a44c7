"""What each published operation's parameters mean, for the API page and for MCP clients (``app.py --mcp``).

Gradio reads a tool's description and its parameters' descriptions from the function's docstring (an ``Args:``
section). ``tools.json`` beside this module holds one sentence per parameter of every operation
``ui.api.endpoints.ENDPOINTS`` names (:data:`ARGS`; a test keeps the two complete). They are API documentation and
stay English, like the endpoints' answers, which is why they are data rather than prose of the UI (the Chinese
catalogue covers what the page shows). :func:`described` gives a published operation its docstring with that
section, so an assistant knows what an id is, where it comes from and which values a parameter takes. Leaves out
the operations themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ARGS: dict[str, dict[str, str]] = json.loads((Path(__file__).with_name("tools.json")).read_text(encoding="utf-8"))


def described(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` with a docstring ending in an ``Args:`` section from :data:`ARGS` (set on ``fn`` itself)."""
    doc = " ".join((fn.__doc__ or "").split())
    lines = [f"    {param}: {text}" for param, text in ARGS.get(name, {}).items()]
    fn.__doc__ = doc + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
    return fn
