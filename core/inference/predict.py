"""Predict labels for texts or a whole file with a loaded classifier (``core.inference.loading``).

Texts are tokenized once per chunk of rows, run longest first in batches of similar token length
(padding costs almost nothing) on the prediction-only copy of the model (SDPA attention, bf16 linear
layers on CPUs with native bf16: ``core.inference.loading.prediction_model``) under
``torch.inference_mode``, and put back in input order: row ``i`` of every result is text ``i``. Every
text is made valid Unicode first (:func:`clean_text`: a lone surrogate becomes U+FFFD), and a request
whose texts are all empty is refused rather than answered with a guess.

A predictions file starts with the prediction columns (``predicted_label``, then ``p_<label>`` per
class) followed by every input column; for a multi-label model (``Loaded.multi_label``) they are
``predicted_labels`` (every label whose sigmoid probability reaches its threshold, joined by ``;``,
empty when none does) and ``p_<label>`` per label. Cells a spreadsheet would run as a formula are escaped
and the file is written whole or not at all (``core.inference.csvfile``). Leaves out: scoring against labels
(``core.inference.evaluate``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import Columns, guess_columns, read_table
from core.data.readable import readability
from core.data.uploads import shown_name
from core.errors import DataError
from core.inference.csvfile import escape_frame, write_csv
from core.inference.labelsets import SEPARATOR, choose, joined, label_sets, names
from core.inference.loading import Loaded, prediction_model

Progress = Callable[[int, int], Any]
CHUNK_ROWS = 4096  # rows tokenized at once: bounds the memory of token lists for files of millions of rows
MAX_TOKENS = 16384  # padded tokens per batch: bounds activation memory for long texts
FILE_BATCH = 64
PREDICTED = "predicted_label"
PREDICTED_LABELS = "predicted_labels"  # multi-label models: the chosen labels joined by ';'


def clean_text(text: Any) -> str:
    """``text`` as valid Unicode: surrogate pairs joined, lone surrogates (e.g. '\\ud800') replaced by U+FFFD."""
    return str(text).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def predict_texts(
    loaded: Loaded, texts: list[str], pairs: list[str] | None = None, batch_size: int = 32, max_length: int = 512,
    *, precision: str = "auto",
) -> list[dict[str, Any]]:
    """``[{"text", "label", "scores": {label: probability}}]``, row ``i`` for text ``i``; a :class:`DataError` when
    every text is empty or only whitespace. ``precision`` "fp32" runs the exact fp32 copy (see the module doc).

    For a multi-label model each result also has ``labels`` (the chosen labels, in label order, maybe none)
    and ``thresholds`` ({label: threshold}); ``label`` is then the chosen labels joined by ``;``.
    """
    if not texts:
        return []
    texts = [clean_text(t) for t in texts]
    pairs = [clean_text(p) for p in pairs] if pairs is not None else None
    if all(not t.strip() for t in texts):
        raise DataError("Every text to classify is empty: give at least one text with words in it.")
    probabilities = class_probabilities(loaded, texts, pairs, batch_size, max_length, precision=precision)
    labels = loaded.labels
    chosen = choose(probabilities, loaded.thresholds) if loaded.multi_label else None
    results = []
    for i, row in enumerate(probabilities.tolist()):
        result = {"text": texts[i], "label": labels[int(np.argmax(row))], "scores": dict(zip(labels, row, strict=True))}
        if chosen is not None:
            result.update(label=joined(chosen[i], labels), labels=names(chosen[i], labels),
                          thresholds=dict(zip(labels, loaded.thresholds, strict=True)))
        if pairs is not None:
            result["text_pair"] = pairs[i]
        results.append(result)
    return results


def class_probabilities(
    loaded: Loaded, texts: list[Any], pairs: list[Any] | None = None, batch_size: int = 32, max_length: int = 512,
    *, progress: Progress | None = None, precision: str = "auto",
) -> np.ndarray:
    """The ``n x k`` float32 class probabilities (columns in ``loaded.labels`` order), row ``i`` for text ``i``:
    softmax over the classes, or each label's sigmoid for a multi-label model.

    Empty texts are predicted like any other; ``progress(done, total)`` is called after each batch.
    """

    def probabilities(model: Any, batch: dict[str, Any]) -> Any:
        return loaded.activate(model(**unmasked(model, batch)).logits.float())

    return run_batches(loaded, texts, pairs, probabilities, len(loaded.labels), batch_size, max_length,
                       progress=progress, precision=precision)


def run_batches(
    loaded: Loaded, texts: list[Any], pairs: list[Any] | None, forward: Callable[[Any, dict[str, Any]], Any],
    width: int, batch_size: int = 32, max_length: int = 512, *, progress: Progress | None = None,
    precision: str = "auto",
) -> np.ndarray:
    """``forward(model, batch)`` (an ``rows x width`` tensor) over every text on the prediction copy, as an
    ``n x width`` float32 array in input order: tokenized per chunk, batched by length, longest first."""
    import torch

    if pairs is not None and len(pairs) != len(texts):
        raise DataError("Give one second text for every text (or none).")
    predictor = prediction_model(loaded, precision)
    out = np.zeros((len(texts), width), dtype=np.float32)
    done = 0
    with torch.inference_mode(), predictor.context():
        for start in range(0, len(texts), CHUNK_ROWS):
            stop = min(len(texts), start + CHUNK_ROWS)
            encoded = encode(loaded.tokenizer, texts[start:stop], pairs[start:stop] if pairs is not None else None,
                             max_length)
            for index in length_batches([len(ids) for ids in encoded["input_ids"]], batch_size):
                batch = pad(loaded.tokenizer, encoded, index, predictor.device)
                out[start + np.asarray(index)] = forward(predictor.model, batch).float().cpu().numpy()
                done += len(index)
                if progress:
                    progress(done, len(texts))
    return out


def unmasked(model: Any, batch: dict[str, Any]) -> dict[str, Any]:
    """``batch`` without its attention mask when no row of it is padded and a PyTorch model answers: attention
    then takes its unmasked path, with the same result and faster (one text on the default model: 12-15% off the
    model call, more for a smaller student). An ONNX graph keeps every input it was exported with."""
    import torch

    mask = batch.get("attention_mask")
    if mask is None or mask.numel() == 0 or not isinstance(model, torch.nn.Module) or not bool(mask.all()):
        return batch
    return {key: value for key, value in batch.items() if key != "attention_mask"}


def encode(tokenizer: Any, texts: list[Any], pairs: list[Any] | None, max_length: int) -> dict[str, list[list[int]]]:
    """Token ids (and the tokenizer's other model inputs) of each text, truncated, unpadded."""
    texts = [clean_text(t) for t in texts]
    pairs = [clean_text(p) for p in pairs] if pairs is not None else None
    encoded = tokenizer(texts, pairs, truncation=True, max_length=max_length)
    return {key: encoded[key] for key in tokenizer.model_input_names if key in encoded}


def length_batches(lengths: list[int], batch_size: int, max_tokens: int | None = MAX_TOKENS) -> list[list[int]]:
    """Row indices longest first (stably, as the Trainer orders its validation set), in batches of at most
    ``batch_size`` rows and, unless ``max_tokens`` is None, about ``max_tokens`` padded tokens."""
    order = np.argsort(-np.asarray(lengths), kind="stable").tolist()
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        fit = batch_size if max_tokens is None else max_tokens // max(1, lengths[order[start]])
        rows = max(1, min(batch_size, fit))
        batches.append(order[start : start + rows])
        start += rows
    return batches


def pad(tokenizer: Any, encoded: dict[str, list[list[int]]], index: list[int], device: Any) -> dict[str, Any]:
    """The rows ``index`` of ``encoded`` padded to the longest (at least one token; on the tokenizer's padding
    side) as tensors."""
    import torch

    width = max(1, *(len(encoded["input_ids"][i]) for i in index))  # a tokenizer without special tokens gives an
    # empty text no token at all: one pad token (masked) answers for it, as it would beside longer texts
    left = tokenizer.padding_side == "left"
    fills = {"input_ids": tokenizer.pad_token_id, "token_type_ids": tokenizer.pad_token_type_id}
    batch = {}
    for key, rows in encoded.items():
        array = np.full((len(index), width), fills.get(key, 0), dtype=np.int64)
        for r, i in enumerate(index):
            values = rows[i]
            if left:
                array[r, width - len(values):] = values
            else:
                array[r, : len(values)] = values
        batch[key] = torch.from_numpy(array).to(device)
    return batch


def predict_file(
    loaded: Loaded, path: str | Path, output: str | Path, columns: Columns | None = None,
    progress: Progress | None = None, *, escape_formulas: bool = True, batch_size: int = FILE_BATCH,
    precision: str = "auto",
) -> dict[str, Any]:
    """Predict every row of a file and write a CSV: ``predicted_label`` (multi-label: ``predicted_labels``),
    ``p_<label>`` per class (6 digits), then every input column (one whose name is taken gets ``_input``); formula-like cells escaped unless
    ``escape_formulas`` is False.

    ``columns`` names the text, second text and true-label columns (its multi-label mode is the model's);
    an unnamed text column is guessed. Returns the output path, rows, text column and counts per predicted
    label. When the file has a column of the model's labels (``columns.label``, or a guessed one whose every
    value is a label), also
    ``label_column``, ``true_labels`` (multi-label: tuples of labels), ``probabilities`` (n x k,
    ``loaded.labels`` order) and ``texts``. Multi-label: counts are rows per chosen label (and ``(none)``),
    and ``thresholds`` ({label: threshold}) is there too. ``readability`` says whether the model can read the texts
    (``core.data.readable``) and ``warnings`` holds its sentence when it cannot.
    """
    frame, _ = read_table(path)
    if len(frame) == 0:
        raise DataError(f"{shown_name(path)} has no rows to predict.")
    columns = columns or Columns()
    text_column, text_pair_column, label_column = columns.text, columns.pair, columns.label
    if text_column is None:
        text_column = str(frame.columns[0]) if frame.shape[1] == 1 else guess_columns(frame)[0]
    for name in filter(None, [text_column, text_pair_column, label_column]):
        if name not in frame.columns:
            raise DataError(f"Column '{name}' does not exist; the file has: {', '.join(map(str, frame.columns))}.")
    texts = frame[text_column].fillna("").astype(str).tolist()
    pairs = frame[text_pair_column].fillna("").astype(str).tolist() if text_pair_column else None
    label_column, true_labels = _true_labels(frame, label_column, (text_column, text_pair_column), loaded.labels,
                                             loaded.multi_label)
    probabilities = class_probabilities(loaded, texts, pairs, batch_size, progress=progress, precision=precision)
    out = _output_frame(frame, loaded.labels, probabilities, loaded.thresholds if loaded.multi_label else None)
    write_csv(escape_frame(out) if escape_formulas else out, Path(output))
    counts = _counts(out, loaded.labels) if loaded.multi_label else out[PREDICTED].value_counts().to_dict()
    found = readability(texts + (pairs or []), loaded.tokenizer, loaded.source.display)  # can the model read it?
    summary = {"output": str(output), "rows": len(out), "text_column": text_column,
               "predicted": {str(k): int(v) for k, v in counts.items()}, "readability": found,
               "warnings": [found["message"]] if found["unreadable"] else []}
    if loaded.multi_label:
        summary["thresholds"] = dict(zip(loaded.labels, loaded.thresholds, strict=True))
    if true_labels is not None:
        summary.update(label_column=label_column, true_labels=true_labels, probabilities=probabilities, texts=texts)
        if pairs is not None:
            summary["pairs"] = pairs
    return summary


def _true_labels(frame: pd.DataFrame, label_column: str | None, text_columns: tuple[str | None, ...],
                 labels: list[str], multi_label: bool = False) -> tuple[str | None, list[Any] | None]:
    """The label column and its values when they are all the model's labels; a given column must be.

    For a ``multi_label`` model each value is a tuple of labels (an empty cell is none of them).
    """
    if label_column is None:
        try:
            guess = guess_columns(frame)[1] if frame.shape[1] > 1 else None
        except DataError:
            guess = None
        if guess is None or guess in text_columns or guess in (PREDICTED, PREDICTED_LABELS) or str(guess).startswith("p_"):
            return None, None
        values = frame[guess].fillna("").astype(str).str.strip().tolist()
        if multi_label:
            sets = label_sets(values)
            known = any(sets) and {label for row in sets for label in row} <= set(labels)
            return (guess, sets) if known else (None, None)
        return (guess, values) if set(values) <= set(labels) else (None, None)
    values = frame[label_column].fillna("").astype(str).str.strip().tolist()
    if multi_label:
        sets = label_sets(values)
        values = [label for row in sets for label in row]
    blank = sum(1 for v in values if not v)
    if blank:
        raise DataError(f"Column '{label_column}' has {blank} rows without a label: fill them in, or leave the "
                        "label column out to predict without scoring.")
    unknown = sorted(set(values) - set(labels))
    if unknown:
        raise DataError(f"Column '{label_column}' has labels the model does not know: {', '.join(unknown[:5])}. "
                        f"The model's labels are: {', '.join(labels)}.")
    return label_column, sets if multi_label else values


def _counts(out: pd.DataFrame, labels: list[str]) -> dict[str, int]:
    """Rows per chosen label of a multi-label predictions frame, and rows with none as ``(none)``."""
    chosen = out[PREDICTED_LABELS].map(lambda cell: set(cell.split(SEPARATOR)) if cell else set())
    counts = {label: int(chosen.map(lambda row, label=label: label in row).sum()) for label in labels}
    return {**counts, "(none)": int((chosen.map(len) == 0).sum())}


def _output_frame(frame: pd.DataFrame, labels: list[str], probabilities: np.ndarray,
                  thresholds: list[float] | None = None) -> pd.DataFrame:
    """Prediction columns first, then the input columns (renamed with ``_input`` where a name is taken);
    with ``thresholds`` (multi-label) the chosen labels instead of the most probable class."""
    if thresholds is not None:
        predicted = {PREDICTED_LABELS: [joined(row, labels) for row in choose(probabilities, thresholds)]}
    else:
        predicted = {PREDICTED: [labels[j] for j in probabilities.argmax(axis=1)]}
    predicted.update({f"p_{label}": np.round(probabilities[:, j].astype(np.float64), 6)
                      for j, label in enumerate(labels)})
    inputs = frame.reset_index(drop=True)
    inputs.columns = [f"{name}_input" if str(name) in predicted else name for name in inputs.columns]
    return pd.concat([pd.DataFrame(predicted), inputs], axis=1)
