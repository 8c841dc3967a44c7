"""``python -m core sweep DATA --trials N`` (a hyper-parameter search) and ``python -m core sweeps``
(list, status, stop): what they do (their options are ``core.cli.run_options``).

``sweep`` takes every ``train`` setting flag for what is not searched (``core.cli.settings``), runs the
driver in this process (``core.sweep.run_sweep``) with a progress bar per trial on stderr, and prints
the sweep's status (every trial, the best run) as JSON. Several machines join one study with the same
``--storage URL --study NAME``. ``--sweep-dir`` is what ``core.sweep.start_sweep`` spawns. Leaves out:
the search itself (``core.sweep``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.settings import config_from_args
from core.errors import TuneScopeError
from core.sweep import list_sweeps, prepare_sweep, run_sweep, stop_sweep, sweep_status
from core.sweep.folder import read_spec
from core.sweep.trial import metric_key
from core.training.stopping import stop_signal


class TrialProgress:
    """A tqdm bar per trial on an interactive terminal; one line per validation and per trial otherwise."""

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.bar: Any = None
        self.tty = sys.stderr.isatty()

    def event(self, number: int, event: dict[str, Any]) -> None:
        from tqdm import tqdm

        kind = event.get("event")
        if kind == "started" and self.tty:
            self.close()
            self.bar = tqdm(total=event.get("total_steps") or 0, desc=f"trial {number}", unit="step", leave=True)
        elif kind == "step" and self.bar is not None:
            self.bar.update(max(0, int(event.get("step") or 0) - self.bar.n))
        elif kind == "eval":
            value = event.get(metric_key(self.metric))
            text = f"{self.metric} {value:.4f}" if isinstance(value, int | float) else ""
            if self.bar is not None:
                self.bar.set_postfix_str(text)
            else:
                print(f"trial {number}: validation at step {event.get('step')}: {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def trial_done(self, trial: dict[str, Any]) -> None:
        self.close()
        value = f" {self.metric} {trial['value']:.4f}" if isinstance(trial.get("value"), int | float) else ""
        note = f" ({trial['message']})" if trial.get("message") and trial["state"] != "complete" else ""
        print(f"trial {trial['number']} {trial['state']}{value} · run {trial.get('run_id') or '—'}{note}",
              file=sys.stderr, flush=True)


def _best_line(status: dict[str, Any]) -> str:
    best = status.get("best")
    if not best:
        return "no trial completed: nothing to choose (see the trials' runs)."
    return (f"best: trial {best['number']}, {status['metric']} {best['value']:.4f}, run {best['run_id']} "
            f"({', '.join(f'{k}={v:.3g}' if isinstance(v, float) else f'{k}={v}' for k, v in best['params'].items())})")


def cmd_sweep(args: argparse.Namespace) -> Any:
    if args.sweep_dir:  # the app's background driver, or continuing a sweep (its budget unless given again)
        folder, trials, timeout = Path(args.sweep_dir), args.trials, args.timeout
    else:
        if not args.data:
            raise TuneScopeError("sweep needs a labelled data file (or --sweep-dir of an existing sweep).")
        folder = prepare_sweep(config_from_args(args), args.space, args.trials, args.timeout, args.root,
                               args.storage, args.study)
        trials, timeout = args.trials, args.timeout
    progress = TrialProgress(read_spec(folder)["metric"])
    print(f"sweep {folder.name}: each trial is a run in the runs folder, tagged sweep:{folder.name}",
          file=sys.stderr, flush=True)
    with stop_signal():  # SIGTERM stops the running trial's run and ends the sweep
        try:
            status = run_sweep(folder, trials, timeout, args.storage, progress.event, progress.trial_done)
        finally:
            progress.close()
    print(_best_line(status), file=sys.stderr, flush=True)
    return status


def cmd_sweeps(args: argparse.Namespace) -> Any:
    if args.action == "list":
        if args.sweep_id:
            raise TuneScopeError("sweeps list takes no sweep id: python -m core sweeps [--root R]")
        return list_sweeps(args.root)
    if not args.sweep_id:
        raise TuneScopeError(f"sweeps {args.action} needs a sweep id: python -m core sweeps {args.action} SWEEP "
                             "(see `python -m core sweeps`).")
    if args.action == "stop":
        return stop_sweep(args.sweep_id, args.root)
    return sweep_status(args.sweep_id, args.root)


SWEEP_COMMANDS = {"sweep": cmd_sweep, "sweeps": cmd_sweeps}
