"""Hyper-parameter search (a *sweep*) with Optuna: each trial a normal run folder, poor trials pruned.

``space`` (which settings, over which ranges), ``folder`` (the sweep folder and its state), ``study``
(the Optuna storage and study, shared by several workers through one database URL), ``trial`` (one
trial = one run trained by its own child, followed through its events and pruned with its STOP file),
``driver`` (prepare, run, start in the background, stop) and ``status`` (trials and the best one as
plain data). Leaves out: training itself (``core.training``) and figures (``core.plots.sweep``).
"""

from core.sweep.driver import prepare_sweep, run_sweep, start_sweep, stop_sweep
from core.sweep.folder import list_sweeps, sweep_folder
from core.sweep.space import DEFAULT_SPACE, SEARCHABLE, parse_space
from core.sweep.status import sweep_status

__all__ = ["DEFAULT_SPACE", "SEARCHABLE", "list_sweeps", "parse_space", "prepare_sweep", "run_sweep", "start_sweep",
           "stop_sweep", "sweep_folder", "sweep_status"]
