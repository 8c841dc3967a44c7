"""``python -m core fill MODEL "text with [MASK]" --top 5``: what a model predicts for a masked word
(encoders) or the next token (decoders), as JSON. Its flags and what it does; the predictions
themselves are ``core.inference.fill``.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_fill_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("fill", help="top-k tokens for each [MASK] (encoders) or for the next token (decoders)",
                       description="Fill-mask for models with a masked-LM head, next-token prediction for decoders. "
                                   "A run whose pre-training stage finished uses its pre-trained model.")
    p.add_argument("model", help="'default', 'smollm2', a model folder, a run folder or a hub id")
    p.add_argument("text", help="the text; encoders need [MASK] where they should guess a word")
    p.add_argument("--top", type=int, default=5, help="how many tokens to list (1-50, default: 5)")
    return p


def cmd_fill(args: argparse.Namespace) -> dict[str, Any]:
    from core.inference.fill import fill

    return fill(args.model, args.text, args.top)


FILL_COMMANDS = {"fill": cmd_fill}
