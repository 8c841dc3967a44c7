"""Score a classifier on labelled rows: a run's own validation set, or any labelled file.

Every row is predicted in its own place (``core.inference.probabilities``) and the result is an
:class:`~core.inference.evaluation.Evaluation` that answers the report, the confusion-matrix cells,
the confident mistakes and the threshold curve without running the model again.
:func:`evaluate_run` rebuilds exactly the validation rows the run was scored on (same file, columns,
split and seed, through ``core.training.datasets.load_frames``) and runs them as the Trainer did (the
run's max_length, precision and evaluation batches), so its scores equal the run's ``metrics.json``.
A multi-label model (``problem_type`` in its config) gives a
:class:`~core.inference.multilabel.MultiLabelEvaluation` at the model's own per-label thresholds; a
labelled file is then read as multi-label data (``a;b``, ``a|b``, ``["a", "b"]`` or 0/1 columns), and
as single-label data for a single-label model. Figures are ``core.plots.evaluation``; the CLI's ``evaluate`` prints
:func:`evaluation_result`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from core import runs
from core.data import LABEL, TEXT, TEXT_PAIR, Columns, file_hash, load_labelled
from core.data.uploads import shown_name
from core.errors import DataError
from core.inference.evaluation import Evaluation, evaluate_predictions, unknown_labels_message
from core.inference.labelsets import label_matrix
from core.inference.loading import Loaded, load_for_inference
from core.inference.multilabel import MultiLabelEvaluation, multilabel_predictions
from core.inference.probabilities import MAX_TOKENS, Progress, predict_probabilities, resolve_precision
from core.inference.quantized import is_quantized
from core.training.datasets import load_frames

__all__ = ["Evaluation", "MultiLabelEvaluation", "evaluate_file", "evaluate_predictions", "evaluate_run",
           "evaluation_result", "predict_probabilities", "score_predicted_file", "write_result"]


def evaluate_file(model: str, path: str | Path, columns: Columns | None = None, progress: Progress | None = None,
                  max_length: int = 512, precision: str | None = "auto") -> Evaluation | MultiLabelEvaluation:
    """Predict every row of a labelled file with ``model`` and compare with its labels (the model's label names).

    ``columns`` names the file's columns (the others are guessed; its multi-label mode is the model's).
    ``precision``: "auto" (bf16 autocast where the device has native bf16, else fp32), "bf16", "fp16" or "fp32".
    """
    loaded = load_for_inference(model)
    data = load_labelled(path, _read_as(columns, loaded))
    how = {"max_length": max_length, "batch_size": 64, "precision": precision, "max_tokens": MAX_TOKENS}
    info = {"model": loaded.source.display, "data": shown_name(path), "warnings": loaded.warnings + data.report.warnings}
    return _evaluate_frame(loaded, data.frame, shown_name(path), how, progress, info)


def evaluate_run(run_dir: str | Path, path: str | Path | None = None, columns: Columns | None = None,
                 progress: Progress | None = None, precision: str | None = None) -> Evaluation | MultiLabelEvaluation:
    """Score a run's saved model (``RUN/model``) on its own validation rows, or on the labelled file ``path``
    (read with ``columns``, the others guessed).

    Rows are run as the run's Trainer evaluated them: truncated at its max_length, in its evaluation
    batches, under the precision it trained with (unless ``precision`` is given; on a device without it,
    fp32). Without ``path`` the scores therefore equal the run's ``metrics.json``.
    """
    run_dir = runs.require_run(run_dir)
    config = runs.load_config(run_dir)
    loaded = load_for_inference(str(run_dir))  # a ModelError naming the run when it has no model yet
    how = {"max_length": config.train.max_length, "batch_size": max(config.train.batch_size, 64),
           "precision": precision or config.resolved.get("precision") or "fp32", "max_tokens": None}
    info: dict[str, Any] = {"model": loaded.source.display, "run": run_dir.name, "warnings": list(loaded.warnings)}
    if path is None:
        frame, where = validation_frame(config, run_dir.name), f"the validation rows of run {run_dir.name}"
        info["data"] = "validation set"
    else:
        data = load_labelled(path, _read_as(columns, loaded))
        frame, where = data.frame, shown_name(path)
        info["data"] = where
        info["warnings"] += data.report.warnings
    return _evaluate_frame(loaded, frame, where, how, progress, info)


def _read_as(columns: Columns | None, loaded: Loaded) -> Columns:
    """How a labelled file is read for ``loaded``: as multi-label data for a multi-label model, else single-label."""
    return replace(columns or Columns(), multi_label="yes" if loaded.multi_label else "no")


def validation_frame(config: Any, run_name: str) -> Any:
    """The validation rows (text, label[, text_pair]) run ``run_name`` was scored on, rebuilt from its config."""

    data = config.data
    for name in filter(None, [data.train_file, data.val_file]):
        if not Path(name).is_file():
            raise DataError(f"Run {run_name}'s data file {shown_name(name)} is gone, so its validation rows cannot "
                            "be rebuilt: evaluate it on a labelled file instead.")
    if not data.val_file and config.data_hash and file_hash(data.train_file) != config.data_hash:
        raise DataError(f"Run {run_name}'s training file {shown_name(data.train_file)} changed after the run was "
                        "trained, so its validation rows cannot be rebuilt: evaluate it on a labelled file instead.")
    return load_frames(config)[1]


def _evaluate_frame(loaded: Loaded, frame: Any, where: str, how: dict[str, Any], progress: Progress | None,
                    info: dict[str, Any]) -> Evaluation | MultiLabelEvaluation:
    if loaded.multi_label:
        label_matrix(frame[LABEL], loaded.labels, where)  # unknown labels are refused before the long part
    else:
        unknown = sorted(set(frame[LABEL]) - set(loaded.labels))
        if unknown:
            raise DataError(unknown_labels_message(where, unknown, loaded.labels))
    device = next(loaded.model.parameters()).device
    precision = "int8" if is_quantized(loaded.model) else resolve_precision(how["precision"], device)
    info.update(max_length=how["max_length"], precision=precision)
    texts = frame[TEXT].tolist()
    pairs = frame[TEXT_PAIR].tolist() if TEXT_PAIR in frame.columns else None
    probabilities = predict_probabilities(loaded, texts, pairs, progress=progress, **how)
    if loaded.multi_label:
        return multilabel_predictions(loaded.labels, loaded.thresholds, frame[LABEL].tolist(), probabilities, texts,
                                      pairs, info, where)
    return evaluate_predictions(loaded.labels, frame[LABEL].tolist(), probabilities, texts, pairs, info)


def score_predicted_file(labels: list[str], summary: dict[str, Any]) -> Evaluation | MultiLabelEvaluation:
    """The evaluation of a ``predict_file`` summary that found true labels: its probabilities against them (at the
    summary's ``thresholds`` for a multi-label model)."""
    args = (summary["true_labels"], summary["probabilities"], summary.get("texts"), summary.get("pairs"))
    if "thresholds" in summary:
        thresholds = [summary["thresholds"][label] for label in labels]
        return multilabel_predictions(labels, thresholds, *args)
    return evaluate_predictions(labels, *args)


def evaluation_result(evaluation: Evaluation | MultiLabelEvaluation, threshold: float | None = None, misclassified: int = 0,
                      full: bool = False) -> dict[str, Any]:
    """The report with where it came from (model, data, run, max_length, warnings), the ``misclassified`` most
    confident mistakes, and with ``full`` also the threshold curve (two classes; every label's for a
    multi-label evaluation) and the whole evaluation."""
    info = evaluation.info
    result = {**evaluation.report(threshold),
              **{key: info[key] for key in ("model", "data", "run", "max_length", "precision") if key in info},
              "warnings": list(info.get("warnings", []))}
    if misclassified:
        result["misclassified"] = evaluation.misclassified(misclassified, threshold)
    if full:
        if isinstance(evaluation, MultiLabelEvaluation):
            result["threshold_curves"] = evaluation.threshold_curves()
        elif len(evaluation.labels) == 2:
            result["threshold_curve"] = evaluation.threshold_curve()
        result["evaluation"] = evaluation.to_dict()
    return result


def write_result(result: dict[str, Any], path: str | Path) -> Path:
    """Write a full :func:`evaluation_result` as JSON (``Evaluation.load`` reads it back)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise DataError(f"Cannot write {path}: {exc.strerror or exc}. Choose another output file.") from exc
    return path
