"""Prepare, run, start in the background and stop a sweep: the loop over trials, one at a time.

``prepare_sweep`` checks everything before a folder exists (the base settings and data like any run,
the space, the budget, the storage) and writes ``sweep.json``; ``run_sweep`` is the driver: it opens
or joins the Optuna study, tries the base settings first (when they lie inside the space, so the sweep
never ends worse than the defaults on the validation metric), then lets Optuna pick, one trial after
the other (``core.sweep.trial``), until the trial count or the time budget is used up (a trial started
within the budget runs to its end, as in Optuna), or a stop. ``start_sweep`` runs the driver as a
detached ``python -m core sweep --sweep-dir DIR`` child; ``stop_sweep`` writes the sweep's ``STOP``.
Leaves out: reading a sweep's progress (``core.sweep.status``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.data import Columns, file_hash, load_labelled
from core.data.health import data_texts
from core.errors import ConfigError, RunError
from core.job.preflight import check_model_and_data, check_settings
from core.runs.folder import now, runs_root
from core.runs.process import spawn_child
from core.sweep.folder import (
    ACTIVE,
    STORAGE_ENV,
    SweepPaths,
    create_sweep,
    read_spec,
    storage_url,
    sweep_folder,
    sweep_id_for,
    sweep_state,
    write_worker,
)
from core.sweep.space import base_values, check_base, parse_space, space_text
from core.sweep.status import sweep_status
from core.sweep.study import hidden, open_study
from core.sweep.trial import EventSink, TrialFailed, TrialStopped, run_trial
from core.training.stopping import stop_requested

MAX_TRIALS = 1000
MAX_FAILED_IN_A_ROW = 3


def _check_budget(trials: int | None, timeout: float | None) -> None:
    if trials is None and timeout is None:
        raise ConfigError("A sweep needs a budget: give a number of trials (--trials N) or a time budget "
                          "(--timeout SECONDS).")
    if trials is not None and not (isinstance(trials, int) and 1 <= trials <= MAX_TRIALS):
        raise ConfigError(f"The number of trials must be a whole number from 1 to {MAX_TRIALS} (got {trials!r}).")
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise ConfigError(f"The time budget must be a positive number of seconds (got {timeout!r}).")


def prepare_sweep(config: RunConfig, space: Any = None, trials: int | None = None, timeout: float | None = None,
                  root: str | Path | None = None, storage: str | None = None, study: str | None = None,
                  owner: str | None = None) -> Path:
    """Check the sweep and write its folder (or join the sweep of the same id); returns the folder. ``owner`` is
    the account starting it (its trials are that account's runs)."""
    _check_budget(trials, timeout)
    params = parse_space(space)
    config.validate()
    check_base(params, config.train)
    check_settings(config)
    labelled = load_labelled(config.data.train_file, Columns.of(config.data))
    check_model_and_data(config, labelled.labels, data_texts(labelled.frame))
    config.data.train_file = str(Path(config.data.train_file).resolve())
    if config.data.val_file:
        config.data.val_file = str(Path(config.data.val_file).resolve())
    if study is not None and not (isinstance(study, str) and 0 < len(study.strip()) <= 100 and study.isprintable()):
        raise ConfigError("A study name is 1 to 100 printable characters, e.g. --study sst2-lr.")
    sweep_id = sweep_id_for(study.strip() if study else None, config.data.train_file)
    folder = runs_root(root) / "sweeps" / sweep_id
    url = storage or f"sqlite:///{(SweepPaths(folder).database).resolve()}"
    spec = {"sweep_id": sweep_id, "study": study.strip() if study else sweep_id, "storage": hidden(url),
            "default_storage": storage is None, "space": space_text(params), "metric": config.train.metric_for_best_model,
            "trials": trials, "timeout": timeout, "data_hash": file_hash(config.data.train_file),
            "runs_root": str(runs_root(root).resolve()), "base": config.to_dict(), "owner": owner}
    if storage:  # a bad URL, or a study holding another search, fails before anything is written
        open_study(spec, url)
    folder = create_sweep(spec, root)
    if not storage:
        open_study(read_spec(folder), url)
    return folder


def run_sweep(folder: str | Path, trials: int | None = None, timeout: float | None = None, storage: str | None = None,
              sink: EventSink | None = None, on_trial: Callable[[dict[str, Any]], None] | None = None,
              extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Drive the sweep in ``folder`` in this process until its budget is used or it is stopped; returns the status."""

    folder = Path(folder).resolve()
    spec = read_spec(folder)
    trials = trials if trials is not None else spec.get("trials")
    timeout = timeout if timeout is not None else spec.get("timeout")
    _check_budget(trials, timeout)
    params = parse_space(spec["space"])
    study = open_study(spec, storage_url(folder, spec, storage))
    first = base_values(params, RunConfig.from_dict(spec["base"]).train)
    if first:
        study.enqueue_trial(first, user_attrs={"message": "the base settings"}, skip_if_exists=True)
    stopping = lambda: stop_requested(folder)  # noqa: E731 - also true after SIGTERM in a driver process
    failures: list[int] = []

    def objective(trial: Any) -> float:
        try:
            value = run_trial(trial, spec, params, Path(spec["runs_root"]), stopping, sink, extra_env)
        except TrialFailed:
            failures.append(trial.number)
            if len(failures) >= MAX_FAILED_IN_A_ROW:
                study.stop()
            raise
        except TrialStopped:
            study.stop()
            raise
        failures.clear()
        return value

    def after(study: Any, frozen: Any) -> None:
        done.append(frozen.number)
        write_worker(folder, "running", trials_done=len(done))
        if on_trial:
            on_trial({"number": frozen.number, "state": frozen.state.name.lower(), "value": frozen.value,
                      "run_id": frozen.user_attrs.get("run_id"), "message": frozen.user_attrs.get("message")})
        if stopping():
            study.stop()

    done: list[int] = []
    write_worker(folder, "running", trials_done=0, budget={"trials": trials, "timeout": timeout})
    try:
        if not stopping():
            study.optimize(objective, n_trials=trials, timeout=timeout, catch=(TrialFailed, TrialStopped),
                           callbacks=[after], gc_after_trial=False)
    except BaseException as exc:
        write_worker(folder, "failed" if not isinstance(exc, KeyboardInterrupt) else "stopped",
                     message=str(exc)[:300] or type(exc).__name__)
        raise
    _record_end(folder, failures, stopping())
    return sweep_status(folder.name, folder.parent.parent)


def _record_end(folder: Path, failures: list[int], stopped: bool) -> None:
    if stopped:
        write_worker(folder, "stopped", message="Stopped on request.")
    elif len(failures) >= MAX_FAILED_IN_A_ROW:
        write_worker(folder, "failed", message=f"{len(failures)} trials in a row failed (trials "
                     f"{', '.join(map(str, failures))}): see their runs' train.log.")
    else:
        write_worker(folder, "finished", message=None)


def start_sweep(config: RunConfig, space: Any = None, trials: int | None = None, timeout: float | None = None,
                root: str | Path | None = None, storage: str | None = None, study: str | None = None,
                extra_env: dict[str, str] | None = None, owner: str | None = None) -> str:
    """Check and write the sweep, then drive it in a detached ``python -m core sweep --sweep-dir`` child; its id."""
    folder = prepare_sweep(config, space, trials, timeout, root, storage, study, owner)
    if sweep_state(folder)["state"] in ACTIVE:
        raise RunError(f"Sweep {folder.name} is already running: stop it first, or watch it.")
    paths = SweepPaths(folder)
    paths.stop_flag.unlink(missing_ok=True)
    env = {**(extra_env or {}), **({STORAGE_ENV: storage} if storage else {})}  # a password never reaches a file
    spawn_child(["sweep", "--sweep-dir", str(folder)], paths.log, paths.launch, env)
    return folder.name


def stop_sweep(sweep_id: str, root: str | Path | None = None) -> dict[str, Any]:
    """Ask a sweep to stop: its running trial saves a model and ends 'stopped', and no trial starts after it."""
    folder = sweep_folder(sweep_id, root)
    if sweep_state(folder)["state"] in ACTIVE:
        SweepPaths(folder).stop_flag.write_text(now(), encoding="utf-8")
    return sweep_state(folder)
