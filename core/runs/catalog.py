"""Every run under the runs folder, newest first: state, name and tags, times, base model, data size and
final metrics; and finding one run by id or path.

Listing reads small files only (``config.json``, ``status.json``, ``metrics.json``, ``meta.json``), the two ends
of ``events.jsonl`` (``core.runs.timeline``) and the run's numbers (step, training time as *duration*, time left:
``core.runs.progress``, which reads each log once and then only what was appended), so it stays fast with
hundreds of runs. A run
whose ``config.json`` or ``status.json`` is missing or unreadable is listed with state 'damaged' and a
reason, never raised. Folders whose names start with a dot (``.deleting-*`` while ``core.runs.remove``
works) and folders with neither file (uploads, predictions) are not runs. Leaves out: writing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.data.uploads import shown_name
from core.errors import RunError
from core.files import is_id
from core.modelref import ModelRef
from core.runs.folder import RunPaths, read_object, runs_root
from core.runs.meta import read_meta
from core.runs.progress import run_progress
from core.runs.status import ACTIVE_STATES, read_status
from core.runs.timeline import created_at, last_event

FINAL_EVENTS = ("finished", "stopped", "checkpoint")  # events that carry the Trainer's best_metric


def _read_dict(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object file: (content, None), or (None, 'missing') / (None, why it cannot be read)."""
    return read_object(path)


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _epochs(config: dict[str, Any], train: dict[str, Any]) -> float | int | None:
    """The epochs set, or for an ``auto`` length the most it may train (``resolved["max_epochs"]``)."""
    return _number(train.get("epochs")) or _number(_section(config, "resolved").get("max_epochs"))


def _section(config: dict[str, Any], key: str) -> dict[str, Any]:
    value = config.get(key)
    return value if isinstance(value, dict) else {}


def base_model_name(model: Any) -> str | None:
    """How a run's base model reads in a list: the default's name, 'run <id>', a folder's name or a hub id."""
    if not isinstance(model, str) or not model.strip():
        return None
    return ModelRef.from_admin(model).list_name


def _rows(config: dict[str, Any], paths: RunPaths) -> int | None:
    """Training rows: what the run resolved (after the validation split), else the data check's count."""
    resolved = _section(config, "resolved")
    rows = _number(resolved.get("train_rows")) or _number(_section(resolved, "train_val_overlap").get("train_rows"))
    if rows is None:
        report, _ = _read_dict(paths.data_report)
        rows = _number((report or {}).get("rows_kept"))
    return int(rows) if rows is not None else None


def _best(config: dict[str, Any], metrics: dict[str, Any], last: dict[str, Any] | None) -> dict[str, Any]:
    """The run's best-model metric (its ``metric_for_best_model``): metrics.json, else the last event's."""
    name = _section(config, "train").get("metric_for_best_model") or "f1_macro"
    value = _number(metrics.get(name))
    if value is None and last and last.get("event") in FINAL_EVENTS:
        value = _number(last.get("best_metric"))
    return {"best_metric": value, "best_metric_name": name}


def _problem(config_problem: str | None, status_problem: str | None, launch_problem: str | None) -> str | None:
    """Why a run folder is damaged, as one sentence; None when its files read (launch.json may be missing)."""
    if config_problem == "missing":
        return "config.json is missing: the run cannot be resumed or compared; delete it."
    if config_problem:
        return f"{config_problem}: restore it from a backup or delete the run."
    if status_problem == "missing":
        return "status.json is missing: the run's state is unknown; delete it or train it again."
    if status_problem:
        return f"{status_problem}: the run's state is unknown; delete it or train it again."
    if launch_problem and launch_problem != "missing":
        return f"{launch_problem}: the run's state is unknown; delete it or train it again."
    return None


def _state(folder: Path, problem: str | None) -> tuple[dict[str, Any], str | None]:
    """The run's status (``read_status``) and its damage reason, if any."""
    if problem:
        return {"state": "damaged"}, problem
    try:
        return read_status(folder), None
    except (RunError, OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        return {"state": "damaged"}, f"its state cannot be read ({type(exc).__name__}): delete it or train it again."


def run_summary(folder: Path) -> dict[str, Any] | None:
    """One run's line in the catalog; None when ``folder`` is not a run folder."""
    paths = RunPaths(folder)
    config, config_problem = _read_dict(paths.config)
    status_file, status_problem = _read_dict(paths.status)
    if status_problem == "missing" and (config_problem == "missing" or "train" not in (config or {})):
        return None  # not a run: an uploads folder, a model folder, anything else
    status, reason = _state(folder, _problem(config_problem, status_problem, _read_dict(paths.launch)[1]))
    config = config or {}
    metrics = _read_dict(paths.metrics)[0] or {}
    train, last = _section(config, "train"), last_event(paths.events)
    state = status.get("state")
    labels = config.get("labels")
    progress = run_progress(folder, status)
    return {
        "run_id": folder.name, "run_dir": str(folder), "state": state,
        "model": config.get("model"), "data": shown_name(str(_section(config, "data").get("train_file") or "")),
        "labels": labels if isinstance(labels, list) else [],
        "accuracy": _number(metrics.get("accuracy")), "f1_macro": _number(metrics.get("f1_macro")),
        "has_model": (paths.model / "config.json").exists(), "updated_at": status.get("updated_at"),
        **read_meta(folder),
        "created_at": created_at(folder), "duration_seconds": progress["training_seconds"],
        **_best(config, metrics, last),
        "base_model": base_model_name(config.get("model")), "rows": _rows(config, paths),
        "epochs": _epochs(config, train), "max_steps": _number(train.get("max_steps")),
        "global_step": progress["step"], "total_steps": progress["total_steps"], "phase": progress["phase"],
        "remaining_seconds": progress["remaining_seconds"], "samples_per_second": progress["samples_per_second"],
        "attempts": progress["attempts"], "message": status.get("message"), "reason": reason,
    }


def list_runs(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Every run under ``root``, newest first (run ids start with their time), damaged ones included."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    runs = []
    for folder in sorted(base.iterdir(), reverse=True):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        summary = run_summary(folder)
        if summary is not None:
            runs.append(summary)
    return runs


def latest_active_run(root: str | Path | None = None) -> Path | None:
    """The newest run that is queued, running or stopping (for re-attaching after a reload)."""
    for run in list_runs(root):
        if run["state"] in ACTIVE_STATES:
            return Path(run["run_dir"])
    return None


def find_run(ref: str | Path, root: str | Path | None = None) -> Path:
    """The folder ``ref`` names: a run id inside the runs folder, else an existing path (the admin's CLI).

    Only resolves the name: the action then checks the folder (``require_run``, ``check_removable``), so
    its message says what is wrong with it. A :class:`RunError` in one sentence when nothing is there.
    """
    text = str(ref)
    base = runs_root(root)
    if is_id(text) and (base / text).is_dir():
        return base / text
    path = Path(text).expanduser()
    if text.strip() and (path.is_dir() or path.is_symlink()):
        return path
    raise RunError(f"There is no run '{text}' in the runs folder {base} and no run folder at that path: "
                   "see `python -m core runs` for the run ids.")
