"""A sweep's progress as plain data: its state, every trial (from the study) and the best one.

Trial facts have one writer, the Optuna study (parameters, state, values, the trial's run id); the
sweep folder adds the sweep's state (``core.sweep.folder``) and what it was asked to do. A running
trial's progress (step / total) comes from its run's last event; a trial run on another machine has no
run folder here (``local`` is false). Leaves out: writing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import TuneScopeError
from core.files import is_id
from core.runs.folder import runs_root
from core.runs.timeline import last_event
from core.sweep.folder import ACTIVE, read_spec, storage_url, sweep_folder, sweep_state
from core.sweep.study import best_row, direction, load_study, trial_rows


def _progress(row: dict[str, Any], root: Path) -> dict[str, Any]:
    """Whether the trial's run folder is here, and a running trial's step / total."""
    run_id = row.get("run_id")
    folder = root / run_id if is_id(run_id) else None
    local = bool(folder and (folder / "config.json").exists())
    out = {"local": local}
    if local and row["state"] == "running":
        last = last_event(folder / "events.jsonl") or {}
        out.update(step=last.get("step"), total_steps=last.get("total_steps"))
    return out


def sweep_status(sweep_id: str, root: str | Path | None = None, storage: str | None = None) -> dict[str, Any]:
    """``{"sweep_id", "study", "state", "message", "metric", "direction", "space", "budget", "trials": [...],
    "counts", "best"}``: each trial has number, state, params, value, run_id, local, message."""
    folder = sweep_folder(sweep_id, root)
    spec = read_spec(folder)
    study, problem = None, None
    try:
        study = load_study(spec, storage_url(folder, spec, storage))
    except TuneScopeError as exc:
        problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - a database busy or unreachable right now: say so, keep the rest
        problem = f"The study cannot be read right now ({type(exc).__name__}): try again in a moment."
    rows = trial_rows(study) if study is not None else []
    base = Path(spec.get("runs_root") or runs_root(root))
    state = sweep_state(folder)
    for row in rows:
        row.update(_progress(row, base))
        if row["state"] == "running" and row["local"] and state["state"] not in ACTIVE:
            row["state"] = "interrupted"  # its worker here ended; Optuna's heartbeat fails it when a worker runs again
    counts = {name: sum(r["state"] == name for r in rows)
              for name in ("complete", "pruned", "failed", "stopped", "running", "waiting")}
    return {"sweep_id": sweep_id, "study": spec.get("study"), "storage": spec.get("storage"),
            "state": state["state"], "message": problem or state["message"], "workers": state["running_workers"],
            "metric": spec["metric"], "direction": direction(spec["metric"]), "space": spec.get("space"),
            "budget": {"trials": spec.get("trials"), "timeout": spec.get("timeout")},
            "created_at": spec.get("created_at"), "trials": rows, "counts": counts,
            "best": best_row(rows, spec["metric"])}
