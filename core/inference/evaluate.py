"""Score a model on a labelled file: accuracy, macro F1, per-class scores and confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.data import LABEL, TEXT, TEXT_PAIR, load_labelled
from core.data.uploads import shown_name
from core.errors import DataError
from core.inference.loading import load_for_inference
from core.inference.predict import predict_texts
from core.training.metrics import full_report


def evaluate_file(model: str, path: str | Path, text_column: str | None = None, label_column: str | None = None,
                  text_pair_column: str | None = None) -> dict[str, Any]:
    """Predict every row in order and compare with its label (labels must match the model's names)."""
    loaded = load_for_inference(model)
    data = load_labelled(path, text_column, label_column, text_pair_column)
    unknown = sorted(set(data.labels) - set(loaded.labels))
    if unknown:
        raise DataError(
            f"Labels in {shown_name(path)} that the model does not know: {', '.join(unknown[:5])}. "
            f"The model's labels are: {', '.join(loaded.labels)}."
        )
    frame = data.frame
    pairs = frame[TEXT_PAIR].tolist() if TEXT_PAIR in frame.columns else None
    predictions = predict_texts(loaded, frame[TEXT].tolist(), pairs)
    index = {label: i for i, label in enumerate(loaded.labels)}
    y_true = np.array([index[label] for label in frame[LABEL]])
    y_pred = np.array([index[p["label"]] for p in predictions])
    report = full_report(y_true, y_pred, loaded.labels)
    report["warnings"] = loaded.warnings + data.report.warnings
    return report
