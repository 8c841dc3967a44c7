"""Auto training length: the plan from the data, early stop on a plateau with the best checkpoint kept, the
time budget, and the stopping rule the live curves mark."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from core import job, runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.plots.training import metrics_figure, stopping_rule
from core.training.length import MAX_EPOCHS, TimeBudget, auto_plan


def test_plan_follows_the_data() -> None:
    intents = auto_plan(9000, 77, 32)  # the intent file: 77 classes, ~117 training rows each
    assert intents.max_epochs == 6 and intents.patience == 4 and intents.eval_steps == 71
    assert intents.sentence.startswith("77 classes with ~117 rows each: up to 6 epochs")
    assert "stopping when validation macro F1 has not improved for 4 evaluations" in intents.sentence
    assert auto_plan(60_000, 2, 32).max_epochs == 2 and auto_plan(7600, 5, 32).max_epochs == 3
    tiny = auto_plan(36, 2, 4, metric="accuracy")  # 9 steps an epoch: raised towards 200 steps, capped
    assert tiny.max_epochs == MAX_EPOCHS and tiny.eval_steps == 9 and "validation accuracy" in tiny.sentence
    assert auto_plan(9000, 77, 32, eval_steps=10, patience=7).eval_steps == 10
    student = auto_plan(3000, 2, 32, student=True)  # a distilled student learns for longer, patience unchanged
    assert student.max_epochs == 2 * auto_plan(3000, 2, 32).max_epochs == 6 and student.patience == 2
    assert "up to 6 epochs" in student.sentence and auto_plan(36, 2, 4, student=True).max_epochs == MAX_EPOCHS


def test_auto_length_stops_when_the_metric_plateaus(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    settings = TrainSettings(batch_size=4, learning_rate=1e-12, logging_steps=1)  # nothing moves: a plateau
    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv), val_fraction=0.2),
                       model=str(tiny_models("bert")), train=settings)
    run_dir = job.create_run(config, run_dir=tmp_path / "run")
    summary = job.run_training(run_dir)
    resolved = runs.load_config(run_dir).resolved
    assert resolved["length"] == "auto" and resolved["patience"] == 2 and resolved["max_epochs"] == MAX_EPOCHS
    events = runs.read_events(run_dir)
    evals = [e["step"] for e in events if e["event"] == "eval"]
    assert summary["state"] == "finished" and len(evals) == 3  # the first, then two without improvement
    assert summary["global_step"] == evals[-1] < resolved["total_steps"]
    assert (run_dir / "model" / "config.json").exists() and "up to 20 epochs" in resolved["length_plan"]
    rule = stopping_rule(events)
    assert rule == {"metric": "f1_macro", "patience": 2, "best_step": evals[0], "best_value": rule["best_value"],
                    "since_best": 2}
    figure = json.loads(metrics_figure(events).to_json())
    assert any("stops after 2 evaluations" in a["text"] for a in figure["layout"]["annotations"])


def test_a_fixed_length_draws_no_rule() -> None:
    events = [{"event": "started", "patience": None}, {"event": "eval", "step": 3, "f1_macro": 0.5}]
    assert stopping_rule(events) is None


def test_time_budget_stops_after_saving() -> None:
    seen: list[dict[str, Any]] = []
    budget = TimeBudget(0, lambda state, event: seen.append(event))
    control = SimpleNamespace(should_training_stop=False, should_evaluate=False, should_save=False)
    budget.on_train_begin(None, None, control)
    budget.on_step_end(None, SimpleNamespace(global_step=5), control)
    assert control.should_training_stop and control.should_evaluate and control.should_save
    assert seen == [{"event": "time_budget", "step": 5, "minutes": 0.0}]
    assert budget.on_log(None, None, control) is None  # every other Trainer event: nothing


def test_a_checkpoint_where_early_stopping_decided_is_done(tmp_path: Path) -> None:
    from core.training.finetune import training_done

    early = {"args": {"early_stopping_patience": 2}, "attributes": {"early_stopping_patience_counter": 2}}
    state = {"max_steps": 160, "global_step": 24, "stateful_callbacks": {"EarlyStoppingCallback": early}}
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    assert training_done(tmp_path)  # a resume after a failed save writes the outputs, it trains no further
    early["attributes"]["early_stopping_patience_counter"] = 1
    (tmp_path / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
    assert not training_done(tmp_path)


def test_the_queue_counts_a_waiting_auto_run_at_its_ceiling(tmp_path: Path, sentiment_csv: Path, tiny_models: Any) -> None:
    """A queued auto-length run's planned steps (the queue's start estimate) are its plan's ceiling, not one epoch."""
    from core.runs.waiting import planned_steps as one_epoch_counted
    from core.training.length import planned_steps

    config = RunConfig(data=DataSettings(train_file=str(sentiment_csv), val_fraction=0.2), model=str(tiny_models("bert")),
                       train=TrainSettings(batch_size=4))
    run_dir = job.create_run(config, run_dir=tmp_path / "auto")
    report = runs.read_json(runs.RunPaths(run_dir).data_report)
    rows = round(report["rows_kept"] * 0.8)
    plan = auto_plan(rows, len(report["labels"]), 4)
    assert one_epoch_counted(run_dir) == plan.steps_per_epoch  # core.runs alone knows no training rule
    assert planned_steps(run_dir) == plan.max_epochs * plan.steps_per_epoch > plan.steps_per_epoch
