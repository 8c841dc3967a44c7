"""How two runs differ: their ``config.json`` flattened to dotted keys (``train.learning_rate``,
``data.val_fraction``, ``resolved.device``, ``model``, ``labels``) and their final metrics side by side.

Lists (labels) compare as whole values. Leaves out: drawing the runs' curves (``core.plots.training``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core.errors import RunError
from core.runs.folder import read_object, require_run
from core.runs.meta import read_meta

METRICS = ("accuracy", "f1_macro", "eval_loss")


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"seed": 1}}`` -> ``{"train.seed": 1}``; lists and other values stay as they are."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _read(run_dir: Path, name: str) -> dict[str, Any]:
    value, problem = read_object(run_dir / name)
    if problem == "missing":
        return {}
    if value is None:
        raise RunError(f"Run {run_dir.name} cannot be compared: {problem}.")
    return value


def diff_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """``{"changed": {key: [a, b]}, "only_a": {...}, "only_b": {...}, "same": n, "metrics": {name: [a, b]}}``
    for two run folders, plus their ids and names."""
    folder_a, folder_b = require_run(run_a), require_run(run_b)
    config_a, config_b = flatten(_read(folder_a, "config.json")), flatten(_read(folder_b, "config.json"))
    shared = config_a.keys() & config_b.keys()
    metrics_a, metrics_b = _read(folder_a, "metrics.json"), _read(folder_b, "metrics.json")
    return {
        "run_a": folder_a.name, "run_b": folder_b.name,
        "names": [read_meta(folder_a)["name"], read_meta(folder_b)["name"]],
        "changed": {k: [config_a[k], config_b[k]] for k in sorted(shared) if not _same(config_a[k], config_b[k])},
        "only_a": {k: config_a[k] for k in sorted(config_a.keys() - shared)},
        "only_b": {k: config_b[k] for k in sorted(config_b.keys() - shared)},
        "same": sum(1 for k in shared if _same(config_a[k], config_b[k])),
        "metrics": {k: [metrics_a.get(k), metrics_b.get(k)] for k in METRICS},
    }
