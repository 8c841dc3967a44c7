"""The figures the tabs draw from what the operations return (``core.plots``), in one place for the UI.

Plain data in (events, reports, trials, an inspect result), plotly figures out; nothing here reads a file
or loads a model. Also the head view's browser code (``view_js``, ``view_json``) that ``gr.HTML`` runs, and
which events of a run the curves and the progress bar count (``current_attempt``: a resume replays steps).
"""

from __future__ import annotations

from core.plots.comparison import comparison_figure
from core.plots.data import health_figures
from core.plots.evaluation import (
    confusion_figure,
    label_curves_figure,
    label_outcomes_figure,
    per_class_figure,
    reliability_figure,
    threshold_figure,
)
from core.plots.headview import view_js, view_json
from core.plots.prediction import label_probability_figure
from core.plots.sweep import trials_parallel, trials_scatter
from core.plots.training import (
    compare_figure,
    current_attempt,
    loss_figure,
    metrics_figure,
    perplexity_figure,
)

__all__ = ["compare_figure", "comparison_figure", "confusion_figure", "current_attempt", "health_figures", "label_curves_figure",
           "label_outcomes_figure", "label_probability_figure", "loss_figure", "metrics_figure", "per_class_figure",
           "perplexity_figure", "reliability_figure", "threshold_figure", "trials_parallel", "trials_scatter",
           "view_js", "view_json"]

