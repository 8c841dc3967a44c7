"""Predict labels for texts or a whole file with a loaded classifier (``core.inference.loading``).

Predictions keep the input order (length-sorted batches are put back in place). Every text is made
valid Unicode first (:func:`clean_text`: a lone surrogate becomes U+FFFD), and a request whose texts
are all empty is refused rather than answered with a guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from core.data import guess_columns, read_table
from core.data.uploads import shown_name
from core.errors import DataError
from core.inference.loading import Loaded


def clean_text(text: Any) -> str:
    """``text`` as valid Unicode: surrogate pairs joined, lone surrogates (e.g. '\\ud800') replaced by U+FFFD."""
    return str(text).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def predict_texts(
    loaded: Loaded, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32, max_length: int = 512
) -> list[dict[str, Any]]:
    """``[{"text", "label", "scores": {label: probability}}]`` in input order; a :class:`DataError` when every
    text is empty or only whitespace."""
    if not texts:
        return []
    if all(not clean_text(t).strip() for t in texts):
        raise DataError("Every text to classify is empty: give at least one text with words in it.")
    return _predict(loaded, texts, pairs, batch_size, max_length)


def _predict(loaded: Loaded, texts: list[Any], pairs: list[Any] | None, batch_size: int = 32,
             max_length: int = 512) -> list[dict[str, Any]]:
    """The predictions for ``texts`` (empty ones included, as rows of a file may be)."""
    import torch

    if pairs is not None and len(pairs) != len(texts):
        raise DataError("Give one second text for every text (or none).")
    texts = [clean_text(t) for t in texts]
    pairs = [clean_text(p) for p in pairs] if pairs is not None else None
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    probabilities: list[Any] = [None] * len(texts)
    device = next(loaded.model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            batch_pairs = [pairs[i] for i in index] if pairs is not None else None
            encoded = loaded.tokenizer(
                [texts[i] for i in index], batch_pairs, truncation=True, max_length=max_length,
                padding=True, return_tensors="pt",
            ).to(device)
            logits = loaded.model(**encoded).logits.float()
            for i, row in zip(index, torch.softmax(logits, dim=-1).cpu().numpy(), strict=True):
                probabilities[i] = row
    results = []
    for i, text in enumerate(texts):
        row = probabilities[i]
        scores = {label: float(row[j]) for j, label in enumerate(loaded.labels)}
        result = {"text": text, "label": loaded.labels[int(row.argmax())], "scores": scores}
        if pairs is not None:
            result["text_pair"] = pairs[i]
        results.append(result)
    return results


def predict_file(
    loaded: Loaded, path: str | Path, output: str | Path, text_column: str | None = None,
    text_pair_column: str | None = None, progress: Any = None,
) -> dict[str, Any]:
    """Predict every row of a file; write the input columns plus ``predicted_label`` and one score per label."""
    frame, _ = read_table(path)
    if len(frame) == 0:
        raise DataError(f"{shown_name(path)} has no rows to predict.")
    if text_column is None:
        text_column = str(frame.columns[0]) if frame.shape[1] == 1 else guess_columns(frame)[0]
    for name in filter(None, [text_column, text_pair_column]):
        if name not in frame.columns:
            raise DataError(f"Column '{name}' does not exist; the file has: {', '.join(map(str, frame.columns))}.")
    texts = frame[text_column].fillna("").astype(str).tolist()
    pairs = frame[text_pair_column].fillna("").astype(str).tolist() if text_pair_column else None
    chunk = 512
    results: list[dict[str, Any]] = []
    for start in range(0, len(texts), chunk):
        results += _predict(loaded, texts[start : start + chunk], pairs[start : start + chunk] if pairs else None)
        if progress:
            progress(min(len(texts), start + chunk), len(texts))
    out = frame.copy()
    out["predicted_label"] = [r["label"] for r in results]
    for label in loaded.labels:
        out[f"score_{label}"] = [round(r["scores"][label], 6) for r in results]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output, index=False)
    counts = pd.Series(out["predicted_label"]).value_counts().to_dict()
    return {"output": str(output), "rows": len(out), "text_column": text_column,
            "predicted": {str(k): int(v) for k, v in counts.items()}}
