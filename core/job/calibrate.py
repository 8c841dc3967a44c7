"""The run's last training step: calibrate the model's probabilities on its validation rows (temperature scaling).

Called by ``core.job.outputs.save_outputs`` before ``model/`` is written. It fits a temperature (one, or one per
label for multi-label models) on the validation logits the recipe handed back (``Trained.validation``), folds it
into the classifier's output layer (``core.training.calibration``), moves the multi-label decision thresholds so
that every decision stays the same, and records in ``metrics.json`` (``calibration``) the temperature and the
expected calibration error with its reliability bins before and after. It leaves the model as it is, and
says why in ``metrics.json`` and the log, when calibration is off, the validation rows are too few, the fitted
temperature would not lower the validation ECE (it maximises the likelihood, which can leave the binned error
higher), or the temperature cannot be folded. ``model/config.json`` holds the temperature (``tunescope_temperature``): the raw
logits are the calibrated ones times it (``core.training.calibration.unfold_temperature``).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from core.config import RunConfig
from core.inference.calibration import reliability
from core.training.calibration import (
    CONFIG_KEY,
    fit_label_temperatures,
    fit_temperature,
    fold_temperature,
    moved_thresholds,
    too_few_rows,
)
from core.training.metrics import sigmoid
from core.training.outcome import Trained

PROBE_TEXT = "a short text to check that the temperature folded into the output layer"


def probabilities(logits: np.ndarray, multi_label: bool, temperature: Any = 1.0) -> np.ndarray:
    """``softmax(logits / T)``, or ``sigmoid(logits / T)`` per label (``T`` a number or one per label)."""
    z = np.asarray(logits, dtype=np.float64) / np.asarray(temperature, dtype=np.float64)
    if multi_label:
        return sigmoid(z)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibration_error(logits: np.ndarray, true: np.ndarray, temperature: Any = 1.0) -> tuple[float, list[dict]]:
    """Expected calibration error and reliability bins of the model's probabilities at ``temperature``: top-label
    for single-label models, over every (row, label) decision for multi-label ones (as the evaluation view)."""
    true = np.asarray(true)
    p = probabilities(logits, true.ndim == 2, temperature)
    if true.ndim == 2:
        flat = p.reshape(-1)
        return reliability(np.stack([1 - flat, flat], axis=1), (true.reshape(-1) > 0.5).astype(int))
    return reliability(p, true)


def calibrate(trained: Trained, config: RunConfig) -> dict[str, Any]:
    """Fit, fold and record the temperature (see the module); returns (and stores) ``report["calibration"]``."""
    record = _fit_and_fold(trained, config)
    trained.report["calibration"] = record
    if record["applied"]:
        config.resolved["temperature"] = record["temperature"]
        print(f"calibration: temperature {_shown(record['temperature'])} fitted on {record['rows']} validation rows; "
              f"expected calibration error {record['ece_before']:.3f} -> {record['ece_after']:.3f}.",
              file=sys.stderr, flush=True)
    else:
        config.resolved.pop("temperature", None)
        print(f"note: probabilities not calibrated: {record['reason']}; the model is left as it is.",
              file=sys.stderr, flush=True)
    return record


def _fit_and_fold(trained: Trained, config: RunConfig) -> dict[str, Any]:
    if trained.validation is None:
        return {"applied": False, "reason": "this recipe kept no validation scores to fit a temperature on"}
    logits, true = (np.asarray(part) for part in trained.validation)
    multi = true.ndim == 2
    record: dict[str, Any] = {"applied": False, "rows": int(len(true)), "multi_label": multi}
    record["ece_before"], record["reliability_before"] = calibration_error(logits, true)
    if not config.train.calibrate:
        return {**record, "reason": "calibration is turned off (calibrate false)"}
    reason = too_few_rows(len(true), len(config.labels), multi)
    if reason is None and not np.isfinite(logits).all():
        reason = "the validation scores are not all finite numbers"
    if reason:
        return {**record, "reason": reason}
    t = fit_label_temperatures(logits, true) if multi else fit_temperature(logits, true)
    after, bins = calibration_error(logits, true, t)
    if after >= record["ece_before"]:  # the likelihood's best temperature does not make the probabilities truer
        shown = _shown(t.tolist() if multi else float(t))
        return {**record, "reason": f"the fitted temperature ({shown}) would not lower the validation expected "
                                    f"calibration error ({record['ece_before']:.3f} -> {after:.3f})"}
    probe = trained.tokenizer([PROBE_TEXT], return_tensors="pt", truncation=True,
                              max_length=min(32, config.train.max_length))
    reason = fold_temperature(trained.model, t, dict(probe))
    if reason:
        return {**record, "reason": reason}
    record.update(applied=True, temperature=t.tolist() if multi else float(t), config_key=CONFIG_KEY)
    record["ece_after"], record["reliability_after"] = after, bins
    if multi:
        _move_thresholds(trained, config.labels, t)
    return record


def _move_thresholds(trained: Trained, labels: list[str], temperatures: np.ndarray) -> None:
    """The tuned multi-label thresholds, moved to the calibrated probabilities (the same decisions), in the report
    and in the model's config."""
    per_label = trained.report.get("per_label") or {}
    old = np.asarray([float(per_label.get(label, {}).get("threshold", 0.5)) for label in labels])
    new = moved_thresholds(old, temperatures)
    for label, value in zip(labels, new, strict=True):
        if label in per_label:
            per_label[label]["threshold"] = float(value)
    trained.model.config.label_thresholds = {label: float(v) for label, v in zip(labels, new, strict=True)}


def _shown(temperature: Any) -> str:
    if isinstance(temperature, list):
        return f"per label ({min(temperature):.2f} to {max(temperature):.2f})"
    return f"{temperature:.3f}"
