"""Pick a few validation rows to explain and attribute them with integrated gradients.

One correctly classified row per class (the most confident one the evaluation lists, or of a small
balanced sample of the validation rows when only a report dict is given) and the most confident
mistakes, at most :data:`MAX_EXAMPLES` in all; each gets ``integrated_gradients`` for its predicted
class and ``attribution_html`` (which escapes the tokens). Loading the run and its evaluation is
``core.report.build``'s job; drawing the page is ``core.report.sections``'.
"""

from __future__ import annotations

from typing import Any

from core.attention.attributions import attribution_html, integrated_gradients
from core.data import LABEL, TEXT, TEXT_PAIR
from core.errors import TuneScopeError
from core.inference import predict_texts

MAX_EXAMPLES = 6
MAX_CORRECT = 4  # classes shown with a correct row; mistakes fill the rest
SAMPLE_ROWS = 256  # validation rows predicted to find them (the evaluation already lists the mistakes)


def _row(text: Any, pair: Any, true: Any, predicted: str, confidence: float, target: str | None = None) -> dict[str, Any]:
    true = ";".join(map(str, true)) if isinstance(true, tuple | list) else true  # a multi-label row's labels
    return {"text": str(text), "text_pair": None if pair is None else str(pair), "true": str(true),
            "predicted": str(predicted), "confidence": float(confidence), "target": target}


def predicted_sample(loaded: Any, frame: Any) -> list[dict[str, Any]]:
    """Predictions for a small, class-balanced sample of the validation rows, in the frame's order."""
    if frame is None or len(frame) == 0:
        return []
    per_class = max(4, SAMPLE_ROWS // max(1, frame[LABEL].nunique()))
    sample = frame.groupby(LABEL, sort=False).head(per_class).head(SAMPLE_ROWS)
    pairs = sample[TEXT_PAIR].tolist() if TEXT_PAIR in sample.columns else None
    predictions = predict_texts(loaded, sample[TEXT].tolist(), pairs)
    return [_row(p["text"], p.get("text_pair"), true, p["label"], max(p["scores"].values()))
            for p, true in zip(predictions, sample[LABEL].tolist(), strict=True)]


def from_evaluation(evaluation: Any, labels: list[str]) -> list[dict[str, Any]]:
    """The examples an ``Evaluation`` lists: its most confident correct row of each class, then its mistakes.

    Multi-label: the most confident true positive of each label (explaining that label), then the most
    confident mistakes (explaining the label most confidently wrong).
    """
    if getattr(evaluation, "multi_label", False):
        hits = [row for label in labels[:MAX_CORRECT] for row in evaluation.examples(label, "tp", 1)]
        rows = hits + evaluation.misclassified(MAX_EXAMPLES - len(hits))
        return [_row(r["text"], r.get("pair"), r["true"], r["predicted"], r["confidence"], r["target"])
                for r in rows if r.get("text")]
    rows = [row for label in labels[:MAX_CORRECT] for row in evaluation.examples(label, label, 1)]
    rows += evaluation.misclassified(MAX_EXAMPLES)
    return choose_examples(rows, labels)


def choose_examples(rows: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """One confident correct row per class (up to :data:`MAX_CORRECT` classes), then the most confident
    mistakes up to :data:`MAX_EXAMPLES`; rows are ``{text, true, predicted, confidence[, pair]}``."""
    rows = [_row(r["text"], r.get("pair", r.get("text_pair")), r["true"], r["predicted"], r.get("confidence") or 0)
            for r in rows if r.get("text")]
    correct = []
    for label in labels:
        if len(correct) == MAX_CORRECT:
            break
        hits = [r for r in rows if r["true"] == r["predicted"] == str(label)]
        if hits:
            correct.append(max(hits, key=lambda r: r["confidence"]))
    mistakes = sorted((r for r in rows if r["true"] != r["predicted"]), key=lambda r: -r["confidence"])
    return correct + mistakes[: MAX_EXAMPLES - len(correct)]


def explain(loaded: Any, examples: list[dict[str, Any]], max_length: int = 128,
            n_steps: int = 32) -> list[dict[str, Any]]:
    """Each example with ``html``: its tokens highlighted by integrated gradients of its ``target`` label (the
    predicted class when it has none)."""

    explained = []
    for example in examples:
        try:
            result = integrated_gradients(loaded.model, loaded.tokenizer, example["text"], example.get("text_pair"),
                                          target=example.get("target") or example["predicted"], n_steps=n_steps,
                                          max_length=max_length)
        except TuneScopeError:  # e.g. a label the model does not have: show the row without highlights
            explained.append(example)
            continue
        html = attribution_html(result.tokens, result.scores, hide=result.special)
        explained.append({**example, "html": html, "delta": result.delta})
    return explained
