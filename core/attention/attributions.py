"""Token attributions with integrated gradients, as plain data and as highlighted HTML text.

``integrated_gradients`` runs captum's IntegratedGradients on the word embeddings (through
``inputs_embeds``, so the model gets no hooks) for any chosen class and returns tokens plus one score
per token (the embedding-dimension sum). Scores obey completeness: they add up to f(x) - f(baseline)
up to ``delta``, where f is the class probability (or logit) and the baseline replaces every
non-special token by the pad token. For a multi-label model (``problem_type`` in its config) any
label can be the target and f is that label's logit by default (its own sigmoid on request: labels do
not compete through a softmax); without a target it is the most probable label. ``attribution_html``
draws them as inline-styled spans (no scripts, so it works in ``gr.HTML`` and offline files).
Attention extraction and figures live elsewhere.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.attention.extract import encode
from core.errors import DataError, ModelError
from core.inference.loading import is_multi_label
from core.inference.quantized import require_gradients

CAVEAT = (
    "Attention weights are not an explanation: they show where each head reads from, not why the model "
    "decided. Different attention patterns can give the same prediction (Jain & Wallace, 2019; Wiegreffe & "
    "Pinter, 2019). Use head masking and the integrated-gradients attributions to test what matters."
)


@dataclass
class Attribution:
    """One score per token for ``label``; ``sum(scores) + delta == f(x) - f(baseline)``."""

    tokens: list[str]
    scores: list[float]
    label: str
    target: int
    output: str
    value: float
    baseline_value: float
    delta: float
    special: list[bool]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_target(model: Any, target: int | str | None) -> int | None:
    """A class index from an index, a label name, or None (the predicted class)."""
    if target is None or target == "":
        return None
    label2id = {str(k): int(v) for k, v in (model.config.label2id or {}).items()}
    if str(target) in label2id:
        return label2id[str(target)]
    try:
        index = int(target)
    except (TypeError, ValueError):
        raise DataError(f"Label '{target}' is not one of this model's labels: {', '.join(label2id)}.") from None
    if not 0 <= index < int(model.config.num_labels):
        raise DataError(f"Class {index} does not exist: this model has classes 0..{model.config.num_labels - 1}.")
    return index


def output_kind(model: Any, output: str | None) -> str:
    """``output`` checked, or its default: 'logit' for a multi-label model, else 'probability'."""
    output = output or ("logit" if is_multi_label(model.config) else "probability")
    if output not in ("probability", "logit"):
        raise DataError("output must be 'probability' or 'logit'.")
    return output


def _activation(model: Any, output: str) -> Callable[[Any], Any]:
    """Logits to what is attributed: themselves, each label's sigmoid (multi-label) or the softmax."""
    import torch

    if output == "logit":
        return lambda logits: logits
    if is_multi_label(model.config):
        return torch.sigmoid
    return lambda logits: torch.softmax(logits, -1)


def integrated_gradients(model: Any, tokenizer: Any, text: str, text_pair: str | None = None,
                         target: int | str | None = None, output: str | None = None, n_steps: int = 32,
                         max_length: int = 512, internal_batch_size: int | None = None,
                         should_stop: Callable[[], None] | None = None) -> Attribution:
    """Integrated gradients of the class ``output`` ('probability' or 'logit') w.r.t. the word embeddings.

    ``output`` defaults to 'probability' (softmax) for a single-label model and 'logit' for a multi-label one,
    whose 'probability' is the label's own sigmoid.

    The path runs through ``inputs_embeds`` (captum's ``IntegratedGradients`` on the looked-up word
    embeddings), so no hook is put on ``model``: it may be a model shared with concurrent requests.
    Steps run in batches sized to the input's length (memory stays near that of a 16 x 128-token
    batch); ``should_stop`` is called before every batch and may raise to end early.
    """
    import torch
    from captum.attr import IntegratedGradients

    require_gradients(model)
    output = output_kind(model, output)
    encoded, special, _ = encode(tokenizer, text, text_pair, max_length)
    device = next(model.parameters()).device
    encoded = encoded.to(device)
    input_ids = encoded["input_ids"]
    extra_names = [name for name in ("attention_mask", "token_type_ids") if name in encoded]
    extra = tuple(encoded[name] for name in extra_names)
    embeddings = model.get_input_embeddings()
    if embeddings is None:
        raise ModelError(f"{type(model).__name__} exposes no input embeddings to attribute to.")

    def forward(embeds: Any, *args: Any) -> Any:
        if should_stop and embeds.requires_grad:
            should_stop()
        logits = model(inputs_embeds=embeds, **dict(zip(extra_names, args, strict=True))).logits.float()
        return activate(logits)

    activate = _activation(model, output)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    keep = torch.tensor(special, device=device)[None]
    baseline = torch.where(keep, input_ids, torch.full_like(input_ids, pad))
    with torch.no_grad():
        inputs, baselines = embeddings(input_ids), embeddings(baseline)
        scores_x = forward(inputs, *extra)[0]
    index = resolve_target(model, target)
    index = int(scores_x.argmax()) if index is None else index
    length = int(input_ids.shape[1])
    batch = internal_batch_size or max(1, min(n_steps, (16 * 128 * 128) // (length * length)))
    attributions, delta = IntegratedGradients(forward).attribute(
        inputs, baselines=baselines, target=index, additional_forward_args=extra, n_steps=n_steps,
        internal_batch_size=batch, return_convergence_delta=True,
    )
    scores = attributions.sum(-1)[0].detach().float().cpu().numpy()
    value = float(scores_x[index])
    baseline_value = value - float(scores.sum()) + float(delta.item())
    labels = model.config.id2label
    return Attribution(
        tokens=tokenizer.convert_ids_to_tokens(input_ids[0].tolist()), scores=[float(s) for s in scores],
        label=str(labels[index]), target=index, output=output, value=value, baseline_value=baseline_value,
        delta=float(delta.item()), special=special,
    )


def _display(token: str) -> tuple[str, bool]:
    """(text to show, whether a space goes before it) for WordPiece, byte-BPE and SentencePiece tokens."""
    if token.startswith("##"):
        return token[2:], False
    if token.startswith(("Ġ", "▁")):
        return token[1:], True
    return token, True


def attribution_html(tokens: list[str], scores: list[float], hide: list[bool] | None = None,
                     title: str | None = None) -> str:
    """Highlighted text: green supports the class, red speaks against it; hover shows the score."""
    values = np.asarray(scores, dtype=float)
    shown = [i for i in range(len(tokens)) if not (hide and hide[i])]
    scale = float(np.abs(values[shown]).max()) if shown else 0.0
    scale = scale or 1.0
    parts = []
    for position, i in enumerate(shown):
        text, space = _display(tokens[i])
        alpha = min(1.0, abs(values[i]) / scale)
        color = f"rgba(22,163,74,{alpha:.3f})" if values[i] >= 0 else f"rgba(220,38,38,{alpha:.3f})"
        gap = " " if space and position else ""
        parts.append(f'{gap}<span title="{html.escape(tokens[i])}: {values[i]:+.4f}" style="background:{color};'
                     f'padding:1px 2px;border-radius:3px">{html.escape(text)}</span>')
    heading = f"<div style=\"font-weight:600;margin-bottom:4px\">{html.escape(title)}</div>" if title else ""
    return (f'<div style="line-height:1.9;font-family:sans-serif;font-size:15px">{heading}{"".join(parts)}</div>')
