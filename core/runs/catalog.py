"""Every run under the runs folder, newest first, with its state and final metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.runs.folder import RunPaths, read_json, runs_root
from core.runs.status import ACTIVE_STATES, read_status


def list_runs(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every run under ``root``, newest first, with state and final metrics when present."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    runs = []
    for folder in sorted(base.iterdir(), reverse=True):
        paths = RunPaths(folder)
        if not paths.config.exists() or not paths.status.exists():
            continue
        status = read_status(folder)
        config = read_json(paths.config, {}) or {}
        metrics = read_json(paths.metrics, {}) or {}
        runs.append(
            {
                "run_id": folder.name,
                "run_dir": str(folder),
                "state": status.get("state"),
                "model": config.get("model"),
                "data": Path(config.get("data", {}).get("train_file", "")).name,
                "labels": config.get("labels", []),
                "accuracy": metrics.get("accuracy"),
                "f1_macro": metrics.get("f1_macro"),
                "has_model": (paths.model / "config.json").exists(),
                "updated_at": status.get("updated_at"),
            }
        )
    return runs



def latest_active_run(root: str | Path | None = None) -> Path | None:
    """The newest run that is queued, running or stopping (for re-attaching after a reload)."""
    for run in list_runs(root):
        if run["state"] in ACTIVE_STATES:
            return Path(run["run_dir"])
    return None
