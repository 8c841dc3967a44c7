"""What a waiting run is told: its place in the queue, the run ahead and its progress, and an estimated start.

:func:`queue_info` gives it as plain data, :func:`queue_sentence` as one sentence ("Queued, 2nd in line for cpu:
waiting for run 'x' (Alice, step 120/400, about 3 min left); estimated start in about 9 min."). The run ahead is
the run holding the device this run will get first (read from the device lock file, so it may belong to another
app or runs folder); its owner is named only to admins, to that owner, and when the app has no accounts. The
estimate is the run ahead's remaining time (from its own steps per second) plus the estimated durations of the
runs waiting in between (their planned steps at that speed), shared out over the devices of that kind.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.runs.folder import RunPaths, read_json
from core.runs.lock import read_holder
from core.runs.meta import read_meta
from core.runs.queue import waiting_runs
from core.runs.slots import lock_name, slots_for
from core.runs.status import queue_entry

TAIL = 256 * 1024  # bytes read back from the end of a log for its latest step


def latest_step(run_dir: Path) -> dict[str, Any] | None:
    """The newest 'step' or 'started' event in the last ``TAIL`` bytes of the run's event log."""
    try:
        with open(RunPaths(run_dir).events, "rb") as handle:
            start = max(0, handle.seek(0, 2) - TAIL)
            handle.seek(start)
            lines = handle.read().split(b"\n")[1 if start else 0:-1]  # a cut first line, and a line being written
    except OSError:
        return None
    for line in reversed(lines):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") in ("step", "started"):
            return event
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def progress(run_dir: Path) -> dict[str, Any]:
    """Step, total, seconds left and seconds per step of a training run (None where its log does not say yet)."""
    event = latest_step(run_dir) or {}
    total = _number(event.get("total_steps"))
    step = _number(event.get("resumed_from_step") if event.get("event") == "started" else event.get("step"))
    eta, elapsed = _number(event.get("eta_seconds")), _number(event.get("elapsed"))
    per_step = None
    if eta is not None and total is not None and step is not None and total > step:
        per_step = eta / (total - step)
    elif elapsed and step:
        per_step = elapsed / step
    remaining = None
    if eta is not None:
        remaining = max(0.0, eta - max(0.0, time.time() - (_number(event.get("time")) or time.time())))
    return {"step": int(step) if step is not None else None, "total": int(total) if total is not None else None,
            "remaining": remaining, "seconds_per_step": per_step, "pretraining": event.get("stage") == "pretrain"}


def planned_steps(run_dir: Path, auto_epochs: Callable[[int, int, int, bool], float] | None = None) -> int | None:
    """About how many optimizer steps a waiting run will train (its settings and its data's row count).

    An ``auto`` length counts one epoch unless ``auto_epochs(training rows, classes, rows per step, distilled
    student?)`` says how many it may train (``core.runs`` knows no training rules: ``core.training.length`` passes
    its ceiling)."""
    config = read_json(RunPaths(run_dir).config, {})
    train = config.get("train") if isinstance(config, dict) and isinstance(config.get("train"), dict) else {}
    status = read_json(RunPaths(run_dir).status, {})
    done, total = _number((status or {}).get("global_step")), _number((status or {}).get("total_steps"))
    if done is not None and total:
        return max(0, int(total - done))  # a resume: what is left
    if _number(train.get("max_steps")):
        return int(train["max_steps"])
    report = read_json(RunPaths(run_dir).data_report, {})
    rows = _number((report or {}).get("rows_kept"))
    per_step = (_number(train.get("batch_size")) or 32) * (_number(train.get("gradient_accumulation_steps")) or 1)
    if rows is None:
        return None
    share = 1 - (_number((config.get("data") or {}).get("val_fraction")) or 0.0)
    epochs = _number(train.get("epochs"))
    if epochs is None and auto_epochs is not None and train.get("epochs") == "auto":
        epochs = auto_epochs(round(rows * share), len((report or {}).get("labels") or {}) or 2, int(per_step),
                             bool(config.get("distil")))
    return max(1, math.ceil((epochs or 1.0) * math.ceil(rows * share / per_step)))


def describe_holder(holder: dict[str, Any], root: Path, viewer: str | None, viewer_is_admin: bool) -> dict[str, Any]:
    """The run holding a device, as a waiting run may see it: name, owner (when the viewer may see it), progress."""
    folder = Path(str(holder.get("run_dir") or ""))
    meta = read_meta(folder) if folder.is_dir() else {}
    owner = holder.get("owner") or meta.get("owner")
    visible = viewer is None or viewer_is_admin or (owner is not None and viewer == owner)
    return {"run_id": folder.name or holder.get("run_id"), "name": meta.get("name") or folder.name,
            "owner": owner if visible else None, "elsewhere": folder.parent != root,
            **(progress(folder) if folder.is_dir() else {"step": None, "total": None, "remaining": None,
                                                         "seconds_per_step": None, "pretraining": False})}


def _soonest(times: dict[str, float | None]) -> str:
    return min(times, key=lambda slot: (times[slot] is None, times[slot] or 0.0))


def queue_info(run_dir: str | Path, slots: tuple[str, ...] | list[str], viewer: str | None = None,
               viewer_is_admin: bool = False,
               steps_of: Callable[[Path], int | None] = planned_steps) -> dict[str, Any] | None:
    """A waiting run's place (1 = next), the run ahead, and the estimated start in seconds; None unless it waits.

    ``steps_of`` estimates the optimizer steps of a run in between (:func:`planned_steps`; the layers above pass
    one that knows the auto length's ceiling, ``core.training.length.planned_steps``)."""
    run_dir = Path(run_dir).resolve()
    entry = queue_entry(run_dir)
    if entry is None:
        return None
    device, mine = str(entry.get("device") or "auto"), slots_for(entry.get("device"), slots)
    if not mine:
        return {"place": None, "device": device, "slots": list(slots), "ahead": None, "start_in": None}
    line = [folder for folder, other in waiting_runs(run_dir.parent) if slots_for(other.get("device"), slots) == mine]
    place = line.index(run_dir) + 1 if run_dir in line else len(line) + 1
    holders = {slot: read_holder(lock_name(slot)) for slot in mine}
    seen = {slot: describe_holder(h, run_dir.parent, viewer, viewer_is_admin) for slot, h in holders.items() if h}
    times: dict[str, float | None] = {slot: seen[slot]["remaining"] if slot in seen else 0.0 for slot in mine}
    speed = next((s["seconds_per_step"] for s in seen.values() if s["seconds_per_step"]), None)
    first = _soonest(times)
    for folder in line[: place - 1]:  # the runs in between take the soonest free device, one after another
        slot, steps = _soonest(times), steps_of(folder)
        known = times[slot] is not None and steps is not None and speed is not None
        times[slot] = times[slot] + steps * speed if known else None
    start = times[_soonest(times)]
    return {"place": place, "device": device, "slots": mine, "ahead": seen.get(first), "between": place - 1,
            "start_in": start}


def about(seconds: float) -> str:
    """'about 40 s', 'about 3 min', 'about 1.5 h'."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def runs_text(count: int) -> str:
    return f"{count} queued run{'' if count == 1 else 's'}"


def _ahead_text(ahead: dict[str, Any]) -> str:
    step, total = ahead.get("step"), ahead.get("total")
    parts = [ahead["owner"]] if ahead.get("owner") else []
    if ahead.get("elsewhere"):
        parts.append("another runs folder")
    stage = "pre-training step" if ahead.get("pretraining") else "step"
    parts.append(f"{stage} {step}/{total if total is not None else '?'}" if step is not None else "starting")
    if ahead.get("remaining") is not None:
        parts.append(f"{about(ahead['remaining'])} left")
    return f"run '{ahead.get('name') or ahead.get('run_id')}' ({', '.join(parts)})"


def queue_sentence(info: dict[str, Any] | None) -> str:
    """One sentence for a waiting run (see the module docstring); '' when it does not wait."""
    if not info:
        return ""
    if info["place"] is None:
        return (f"Queued for {info['device']}, but this app trains on {', '.join(info['slots'])} only: stop it and "
                "start it again with the device 'auto'.")
    place, ahead = info["place"], info.get("ahead")
    text = f"Queued, {'next' if place == 1 else ordinal(place)} in line for {' or '.join(info['slots'])}: "
    if ahead:
        text += f"waiting for {_ahead_text(ahead)}"
        text += f" and {runs_text(place - 1)} before it" if place > 1 else ""
    elif place == 1:
        return text + "the device is free, so it starts within seconds."
    else:
        text += f"waiting for {runs_text(place - 1)} before it"
    start = info.get("start_in")
    return text + (f"; estimated start in {about(start)}." if start is not None
                   else "; no estimated start yet (the run ahead has not reported its speed).")
