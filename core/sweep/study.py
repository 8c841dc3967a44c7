"""The Optuna side of a sweep: the storage (a database URL), the study, its pruner, and its trials as rows.

Several workers (processes or machines) share one study through one database: each opens it with
``load_if_exists``, so whoever comes first creates it. SQLite shared by processes needs care: a long
busy timeout (writers wait instead of failing); one worker at a time creating the tables (a lock file
beside a SQLite database; a retry for other databases); and Optuna's heartbeat, so a trial whose
worker was killed is marked failed (and tried again once) by the others instead of staying 'running'. The study records the search space
and the data's hash, and a worker with a different one is refused. Leaves out: running a trial
(``core.sweep.trial``) and the sweep folder (``core.sweep.folder``).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import ConfigError

HEARTBEAT_SECONDS = 30
GRACE_SECONDS = 120
SQLITE_TIMEOUT = 60
STARTUP_TRIALS = 2  # trials that complete before any pruning
WARMUP_EVALS = 2  # a trial is judged from its second validation on (each run validates 4 times by default)


def _quiet() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message=".*heartbeat.*")
    return optuna


def hidden(url: str) -> str:
    """The storage URL with any password replaced by ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL sqlalchemy knows: say nothing of it but its scheme
        return url.split(":", 1)[0] + ":…"


_STORAGES: OrderedDict[str, Any] = OrderedDict()
_STORAGES_LOCK = threading.Lock()
_MAX_STORAGES = 8  # a server watching many sweeps keeps the connections of the last few only


def open_storage(url: str) -> Any:
    """An Optuna RDB storage for ``url`` (kept per URL, least recently used dropped), SQLite made safe for workers."""
    with _STORAGES_LOCK:
        storage = _STORAGES.pop(url, None) or _connect(url)
        _STORAGES[url] = storage
        while len(_STORAGES) > _MAX_STORAGES:
            _STORAGES.popitem(last=False)[1].engine.dispose()
        return storage


@contextlib.contextmanager
def _creating(url: str) -> Iterator[None]:
    """For a SQLite file: one process at a time creates or checks the tables (a lock file beside the database)."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{database}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _connect(url: str) -> Any:
    optuna = _quiet()
    from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

    kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    retry = optuna.storages.RetryFailedTrialCallback(max_retry=1)
    for attempt in range(5):
        try:
            with _creating(url):
                return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=HEARTBEAT_SECONDS,
                                                  grace_period=GRACE_SECONDS, heartbeat_stale_trial_callback=retry)
        except (OperationalError, IntegrityError) as exc:  # workers on other machines creating the tables at once,
            if attempt == 4:  # or a database not reachable
                raise ConfigError(f"The study storage {hidden(url)} cannot be used ({str(exc.orig)[:120]}): "
                                  "check the database URL and that the database is reachable.") from None
            time.sleep(0.5 + attempt)
        except (ArgumentError, ImportError, ValueError) as exc:
            raise ConfigError(f"{hidden(url)} is not a storage URL Optuna can use ({str(exc)[:120]}): give e.g. "
                              "sqlite:///sweep.db or postgresql://user@host/db.") from None
    raise AssertionError("unreachable")


def direction(metric: str) -> str:
    return "minimize" if metric == "eval_loss" else "maximize"


def open_study(spec: dict[str, Any], storage_url: str, seed: int | None = None) -> Any:
    """Create or join the study of ``spec`` (its name, metric, space and data) in ``storage_url``."""
    optuna = _quiet()
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=STARTUP_TRIALS, n_warmup_steps=WARMUP_EVALS)
    study = optuna.create_study(storage=open_storage(storage_url), study_name=spec["study"], sampler=sampler,
                                pruner=pruner, direction=direction(spec["metric"]), load_if_exists=True)
    if study.direction.name.lower() != direction(spec["metric"]):
        raise ConfigError(f"Study {spec['study']} {study.direction.name.lower()}s its objective, but "
                          f"{spec['metric']} needs {direction(spec['metric'])}: choose another --study name.")
    attrs = study.user_attrs
    for key in ("space", "data_hash", "metric"):
        if key not in attrs:
            study.set_user_attr(key, spec[key])
        elif attrs[key] != spec[key]:
            raise ConfigError(f"Study {spec['study']} was started with another {key.replace('_', ' ')} "
                              f"({str(attrs[key])[:80]}): give this worker the same one, or choose another --study.")
    return study


def load_study(spec: dict[str, Any], storage_url: str) -> Any:
    """The study of ``spec`` for reading (no sampler or pruner needed)."""
    optuna = _quiet()
    try:
        return optuna.load_study(study_name=spec["study"], storage=open_storage(storage_url))
    except KeyError:
        return None  # not created yet: the driver has not started


@functools.lru_cache(maxsize=1)
def _state_names() -> dict[Any, str]:
    from optuna.trial import TrialState

    return {TrialState.RUNNING: "running", TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
            TrialState.FAIL: "failed", TrialState.WAITING: "waiting"}


def trial_rows(study: Any) -> list[dict[str, Any]]:
    """Every trial as plain data: number, state, params, value, intermediate values, run id, host, message."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        state = _state_names()[trial.state]
        if state == "failed" and attrs.get("stopped"):
            state = "stopped"
        value = trial.value
        if value is None and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        rows.append({"number": trial.number, "state": state, "params": dict(trial.params),
                     "value": None if value is None else float(value),
                     "intermediate": {int(k): float(v) for k, v in sorted(trial.intermediate_values.items())},
                     "run_id": attrs.get("run_id"), "host": attrs.get("host"), "message": attrs.get("message"),
                     "started_at": trial.datetime_start.isoformat(timespec="seconds") if trial.datetime_start else None,
                     "seconds": (trial.duration.total_seconds() if trial.duration else None)})
    return rows


def best_row(rows: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    """The completed trial with the best value (ties: the earliest)."""
    done = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
    if not done:
        return None
    sign = -1 if direction(metric) == "minimize" else 1
    return max(done, key=lambda r: (sign * r["value"], -r["number"]))
