"""Training length chosen from the data (``epochs="auto"``, the default), and the optional time budget.

:func:`auto_plan` turns the training rows, the classes and the rows per optimizer step into a ceiling of
epochs, an evaluation cadence and a patience, with one sentence saying what the run will do and why (the
plan line; it goes to ``config.resolved["length_plan"]``, the ``started`` event, ``train.log`` and the card).
Training then stops when the best-model metric has not improved for ``patience`` evaluations (the
Trainer's ``EarlyStoppingCallback``), and the best checkpoint becomes ``model/`` (``load_best_model_at_end``).
The rule, measured on the issue-24 intent data (77 classes, ~130 rows each: validation accuracy 0.78, 0.90,
0.91, 0.92 after 1.25, 2.5, 3.75 and 5 epochs, where one epoch stopped at 0.75): few rows per class need
several passes, large sets need few.

- ceiling: 3 epochs; 6 when a class has under ``FEW_PER_CLASS`` rows on average; 2 above ``LARGE`` rows;
  raised so the run has at least ``MIN_STEPS`` optimizer steps, never above ``MAX_EPOCHS``; doubled for a
  distilled student (``core.training.distil``), which keeps learning from its teacher's soft labels for longer
  (a 3-layer student of the default model on 3,000 SST-2 rows: 2.2 test points below its teacher after 3 epochs,
  0.9 after 6: ``bench/README.md``);
- cadence: 4 evaluations per epoch from 100 steps an epoch, 2 from 20, else 1;
- patience: one epoch of evaluations without improvement (at least 2 evaluations).

:class:`TimeBudget` stops any run (auto or fixed) after ``time_budget`` minutes of training in this launch,
after evaluating and saving, so the best checkpoint so far is kept.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

AUTO = "auto"
BASE_EPOCHS, FEW_PER_CLASS_EPOCHS, LARGE_EPOCHS = 3, 6, 2
FEW_PER_CLASS = 500  # rows per class below which a run gets more passes
LARGE = 50_000  # rows above which two passes are plenty
MIN_STEPS = 200
MAX_EPOCHS = 20
METRIC_WORDS = {"f1_macro": "validation macro F1", "accuracy": "validation accuracy", "eval_loss": "validation loss"}
# The plan sentence, one whole template per case (a UI shows it in another language by the template, values
# filled in, never by gluing parts): (large data?, ceiling raised to MIN_STEPS?) -> template
PLAN_TEMPLATES = {
    (True, False): "{rows} training rows: up to {epochs} epochs ({steps} steps), evaluating every {every} steps "
                   "and stopping when {metric} has not improved for {wait} evaluations; the best checkpoint is kept",
    (True, True): "{rows} training rows ({per_epoch} steps an epoch): up to {epochs} epochs ({steps} steps), "
                  "evaluating every {every} steps and stopping when {metric} has not improved for {wait} "
                  "evaluations; the best checkpoint is kept",
    (False, False): "{classes} classes with ~{per_class} rows each: up to {epochs} epochs ({steps} steps), "
                    "evaluating every {every} steps and stopping when {metric} has not improved for {wait} "
                    "evaluations; the best checkpoint is kept",
    (False, True): "{classes} classes with ~{per_class} rows each ({per_epoch} steps an epoch): up to {epochs} "
                   "epochs ({steps} steps), evaluating every {every} steps and stopping when {metric} has not "
                   "improved for {wait} evaluations; the best checkpoint is kept",
}


@dataclass(frozen=True)
class LengthPlan:
    """What an auto-length run will do: its ceiling, cadence and patience, and the sentence saying so (one of
    :data:`PLAN_TEMPLATES` with ``values`` filled in: numbers as shown, and the metric's words)."""

    max_epochs: int
    steps_per_epoch: int
    eval_steps: int
    patience: int
    template: str
    values: tuple[tuple[str, str], ...]

    @property
    def sentence(self) -> str:
        return self.template.format(**dict(self.values))

    @property
    def max_steps(self) -> int:
        return self.max_epochs * self.steps_per_epoch

    def resolved(self) -> dict[str, Any]:
        """What ``config.resolved`` records (the live curves read ``patience`` from the ``started`` event)."""
        return {"length": AUTO, "max_epochs": self.max_epochs, "patience": self.patience,
                "length_plan": self.sentence}


def auto_plan(rows: int, classes: int, per_step: int, metric: str = "f1_macro", eval_steps: int | None = None,
              patience: int | None = None, student: bool = False) -> LengthPlan:
    """The auto length for ``rows`` training rows of ``classes`` classes at ``per_step`` rows per optimizer step;
    ``eval_steps`` and ``patience`` given by the user are kept; ``student``: a distilled student's (see above)."""
    rows, classes = max(int(rows), 1), max(int(classes), 1)
    per_epoch = max(1, math.ceil(rows / max(per_step, 1)))
    per_class = rows / classes
    large = rows > LARGE
    epochs = LARGE_EPOCHS if large else FEW_PER_CLASS_EPOCHS if per_class < FEW_PER_CLASS else BASE_EPOCHS
    raised = epochs * per_epoch < MIN_STEPS
    if raised:
        epochs = min(MAX_EPOCHS, math.ceil(MIN_STEPS / per_epoch))
    if student:
        epochs = min(MAX_EPOCHS, 2 * epochs)
    evals_per_epoch = 4 if per_epoch >= 100 else 2 if per_epoch >= 20 else 1
    every = eval_steps or max(1, math.ceil(per_epoch / evals_per_epoch))
    wait = patience or max(2, math.ceil(per_epoch / every))
    values = {"rows": f"{rows:,}", "classes": str(classes), "per_class": f"{per_class:,.0f}",
              "per_epoch": str(per_epoch), "epochs": str(epochs), "steps": f"{epochs * per_epoch:,}",
              "every": str(every), "metric": METRIC_WORDS.get(metric, metric), "wait": str(wait)}
    return LengthPlan(epochs, per_epoch, every, wait, PLAN_TEMPLATES[large, raised], tuple(values.items()))


class TimeBudget:
    """A ``TrainerCallback`` (duck-typed: no transformers import here) that ends training after ``minutes``,
    evaluating and saving first so the best checkpoint so far is kept."""

    def __init__(self, minutes: float, emit: Any = None) -> None:
        self.seconds = float(minutes) * 60
        self.emit = emit
        self.started = 0.0
        self.spent = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.started = time.time()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self.spent and time.time() - self.started >= self.seconds:
            self.spent = True
            control.should_training_stop = control.should_evaluate = control.should_save = True
            if self.emit is not None:
                self.emit(state, {"event": "time_budget", "step": state.global_step, "minutes": self.seconds / 60})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):  # every other Trainer event: nothing to do
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def planned_steps(run_dir: Any) -> int | None:
    """A waiting run's planned optimizer steps (``core.runs.waiting.planned_steps``), an ``auto`` length counted
    at its ceiling (early stopping usually ends it sooner: the queue's estimate errs on the late side)."""
    from core.runs.waiting import planned_steps as counted

    return counted(run_dir, lambda rows, classes, per_step, student: auto_plan(rows, classes, per_step,
                                                                              student=student).max_epochs)
