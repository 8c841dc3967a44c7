"""One sweep trial: a normal run folder trained by its own child process, watched and pruned from outside.

The trial's settings are the sweep's base settings with the values Optuna sampled. The run is created
(``core.job.create_run``) as ``<runs folder>/<sweep id>-t<number>`` with the tags ``sweep:<id>`` and
``trial:<number>``, started like any run (``core.runs.start_run``: same child, same device lock, same
run-folder contract), and followed through its ``events.jsonl``: each validation reports the run's
metric to the trial (step = the k-th validation, so trials of different lengths are compared at the same
share of their own training). When Optuna's pruner says so, the driver writes the run's ``STOP`` file:
the child saves a model and ends 'stopped', the run is tagged ``pruned`` and the trial marked pruned.
The objective is the run's best validation value of its ``metric_for_best_model``. Leaves out: the
loop over trials (``core.sweep.driver``).
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import job, runs
from core.config import RunConfig
from core.errors import RunError, TuneScopeError
from core.sweep.space import Param, apply_params

POLL_SECONDS = 0.5
EventSink = Callable[[int, dict[str, Any]], None]


class TrialFailed(RunError):
    """The trial's run could not be created, failed or was interrupted: the trial is marked failed."""


class TrialStopped(RunError):
    """The sweep was asked to stop while this trial ran: the trial is marked stopped (failed, for Optuna)."""


def metric_key(metric: str) -> str:
    """The key of ``metric`` in an 'eval' event (``eval_`` prefixes are removed there)."""
    return metric.removeprefix("eval_") if metric == "eval_loss" else metric


def _value(event: dict[str, Any], metric: str) -> float | None:
    value = event.get(metric_key(metric))
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def trial_folder(root: Path, sweep_id: str, number: int) -> Path:
    """A free run folder for trial ``number`` (a suffix when a study was started again under the same id)."""
    base = f"{sweep_id}-t{number:03d}"
    folder, extra = root / base, 1
    while folder.exists():
        extra += 1
        folder = root / f"{base}-{extra}"
    return folder


def create_trial_run(spec: dict[str, Any], params: tuple[Param, ...], trial: Any, root: Path) -> Path:
    """The trial's run folder, created and tagged; a :class:`TrialFailed` when these settings cannot run."""
    values = {p.name: p.suggest(trial) for p in params}
    config = RunConfig.from_dict(spec["base"])
    try:
        config.train = apply_params(config.train, values)
        run_dir = job.create_run(config, run_dir=trial_folder(root, spec["sweep_id"], trial.number),
                                 owner=spec.get("owner"))
    except TuneScopeError as exc:
        trial.set_user_attr("message", str(exc))
        raise TrialFailed(str(exc)) from None
    trial.set_user_attr("run_id", run_dir.name)
    trial.set_user_attr("host", socket.gethostname())
    runs.rename_run(run_dir, f"{spec['sweep_id']} trial {trial.number}")
    runs.tag_run(run_dir, add=[f"sweep:{spec['sweep_id']}", f"trial:{trial.number}"])
    return run_dir


class TrialWatch:
    """Follows one trial's run: reports validations to Optuna, prunes, and relays events to ``sink``."""

    def __init__(self, trial: Any, run_dir: Path, metric: str, sink: EventSink | None = None) -> None:
        self.trial, self.run_dir, self.metric, self.sink = trial, run_dir, metric, sink
        self.tail = runs.EventTail(run_dir)
        self.evals = 0
        self.values: list[float] = []
        self.final: dict[str, Any] = {}
        self.pruned = self.stopped = False

    def read(self) -> None:
        for event in self.tail.read_new():
            if self.sink:
                self.sink(self.trial.number, event)
            kind = event.get("event")
            if kind in ("finished", "stopped", "failed", "interrupted"):
                self.final = event
            if kind != "eval" or self.pruned or self.stopped:
                continue
            value = _value(event, self.metric)
            if value is None:
                continue
            self.evals += 1
            self.values.append(value)
            self.trial.report(value if math.isfinite(value) else float("nan"), self.evals)
            if self.trial.should_prune():
                self.pruned = True
                runs.request_stop(self.run_dir)

    def follow(self, stop_requested: Callable[[], bool]) -> dict[str, Any]:
        """Watch the run to its end; returns its final status. Ctrl-C stops the run too."""
        try:
            return self._follow(stop_requested)
        except KeyboardInterrupt:
            runs.request_stop(self.run_dir)
            raise

    def _follow(self, stop_requested: Callable[[], bool]) -> dict[str, Any]:
        while True:
            self.read()
            status = runs.read_status(self.run_dir)
            if status.get("state") in runs.FINAL_STATES:
                self.read()  # the final events written just before the state changed
                return status
            if not self.stopped and stop_requested():
                self.stopped = True
                runs.request_stop(self.run_dir)
            time.sleep(POLL_SECONDS)

    def best(self) -> float | None:
        """The run's best validation value: the Trainer's own ``best_metric``, else the best reported."""
        value = self.final.get("best_metric")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not self.values:
            return None
        return min(self.values) if self.metric == "eval_loss" else max(self.values)


def run_trial(trial: Any, spec: dict[str, Any], params: tuple[Param, ...], root: Path,
              stop_requested: Callable[[], bool], sink: EventSink | None = None,
              extra_env: dict[str, str] | None = None) -> float:
    """Optuna's objective for one trial: create and train the run, prune it when told, return its best value."""
    import optuna

    run_dir = create_trial_run(spec, params, trial, root)
    runs.start_run(run_dir, extra_env=extra_env)
    watch = TrialWatch(trial, run_dir, spec["metric"], sink)
    status = watch.follow(stop_requested)
    state = status.get("state")
    if watch.pruned:
        runs.tag_run(run_dir, add=["pruned"])
        trial.set_user_attr("message", f"pruned after validation {watch.evals}")
        raise optuna.TrialPruned()
    if watch.stopped:
        trial.set_user_attr("stopped", True)
        trial.set_user_attr("message", "stopped with the sweep")
        raise TrialStopped(f"Trial {trial.number} was stopped with the sweep.")
    value = watch.best()
    if state != "finished" or value is None:
        message = status.get("message") or f"the run ended {state} without a validation score"
        trial.set_user_attr("message", str(message)[:300])
        raise TrialFailed(f"Trial {trial.number} (run {run_dir.name}) failed: {message}")
    return value
