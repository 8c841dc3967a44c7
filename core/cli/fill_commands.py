"""``python -m core fill MODEL "text with [MASK]" --top 5``: what a model predicts for a masked word
(encoders) or the next token (decoders), as JSON. What it does (its options are ``core.cli.options``);
the predictions themselves are ``core.inference.fill``.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.inference.fill import fill


def cmd_fill(args: argparse.Namespace) -> dict[str, Any]:
    return fill(args.model, args.text, args.top)


FILL_COMMANDS = {"fill": cmd_fill}
