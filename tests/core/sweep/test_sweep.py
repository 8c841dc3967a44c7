"""Sweeps end to end with tiny models: trials as real run folders, a pruned trial, a stop, two workers on one
SQLite study, and the CLI's one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from core import runs, sweep
from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings
from core.sweep.folder import read_spec, storage_url
from core.sweep.study import open_study

ROOT = Path(__file__).resolve().parents[3]


def base_config(data: Path, model: Path, **train: Any) -> RunConfig:
    settings = {"max_steps": 12, "batch_size": 4, "logging_steps": 1, "device": "cpu", **train}
    return RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(model),
                     train=TrainSettings(**settings))


def test_three_trials_one_pruned_by_its_low_value(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    """Two sensible trials complete; a third at a learning rate that wrecks the model is pruned at its
    second validation (MedianPruner against the two), its run stopped through its STOP file and tagged."""
    # 48 steps, evaluated every 3: the driver polls every 0.5 s, and a tiny run's remaining 42 steps after the
    # second validation outlast that, so the STOP lands before the run ends (12 steps raced it)
    config = base_config(sentiment_csv, tiny_models("bert"), metric_for_best_model="eval_loss", max_steps=48,
                         eval_steps=3)
    folder = sweep.prepare_sweep(config, "learning_rate=1e-4,0.3", trials=3, root=tmp_path)
    spec = read_spec(folder)
    study = open_study(spec, storage_url(folder, spec))
    for rate in (1e-4, 1e-4, 0.3):  # the order Optuna will run them in
        study.enqueue_trial({"learning_rate": rate})
    seen: list[dict[str, Any]] = []
    status = sweep.run_sweep(folder, on_trial=seen.append)

    assert status["state"] == "finished" and [t["state"] for t in status["trials"]] == ["complete", "complete",
                                                                                          "pruned"]
    assert [t["number"] for t in seen] == [0, 1, 2] and seen[2]["state"] == "pruned"
    pruned = status["trials"][2]
    assert list(pruned["intermediate"]) == [1, 2]  # judged at its second validation, not before
    assert pruned["value"] > max(t["value"] for t in status["trials"][:2])
    pruned_run = tmp_path / pruned["run_id"]
    assert runs.read_status(pruned_run)["state"] == "stopped"
    assert (pruned_run / "model" / "config.json").exists()  # a pruned trial is still a usable, stopped run
    assert runs.read_meta(pruned_run)["tags"] == [f"sweep:{folder.name}", "trial:2", "pruned"]
    for trial in status["trials"][:2]:
        run_dir = tmp_path / trial["run_id"]
        final = runs.read_events(run_dir)[-1]
        assert runs.read_status(run_dir)["state"] == "finished" and final["event"] == "finished"
        assert trial["value"] == pytest.approx(final["best_metric"])  # the objective: the run's best eval_loss
        assert runs.load_config(run_dir).train.learning_rate == trial["params"]["learning_rate"] == 1e-4
    assert status["best"]["number"] in (0, 1) and status["direction"] == "minimize"
    listed = {r["run_id"]: r for r in runs.list_runs(tmp_path)}
    assert set(listed) == {t["run_id"] for t in status["trials"]}  # trials are ordinary runs in the Runs tab
    assert [s["sweep_id"] for s in sweep.list_sweeps(tmp_path)] == [folder.name]


def test_background_sweep_stops_its_running_trial(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    config = base_config(sentiment_csv, tiny_models("bert"), max_steps=40, eval_steps=100)
    sweep_id = sweep.start_sweep(config, "learning_rate=1e-4:1e-3:log", trials=3, root=tmp_path,
                                 extra_env={"TUNESCOPE_STEP_DELAY": "0.2"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        trials = sweep.sweep_status(sweep_id, tmp_path)["trials"]
        if trials and trials[0].get("step"):
            break
        time.sleep(0.3)
    else:
        raise AssertionError((tmp_path / "sweeps" / sweep_id / "sweep.log").read_text()[-2000:])
    assert sweep.stop_sweep(sweep_id, tmp_path)["state"] == "stopping"
    while time.monotonic() < deadline and sweep.sweep_status(sweep_id, tmp_path)["state"] != "stopped":
        time.sleep(0.3)
    status = sweep.sweep_status(sweep_id, tmp_path)
    assert status["state"] == "stopped", (tmp_path / "sweeps" / sweep_id / "sweep.log").read_text()[-2000:]
    assert [t["state"] for t in status["trials"]] == ["stopped"]  # no trial started after the stop
    assert runs.read_status(tmp_path / status["trials"][0]["run_id"])["state"] == "stopped"


def _worker(data: Path, model: Path, db: Path, root: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "core", "sweep", str(data), "--model", str(model), "--storage", f"sqlite:///{db}",
               "--study", "shared", "--trials", "2", "--space", "learning_rate=1e-4:1e-3:log", "--max-steps", "6",
               "--batch-size", "4", "--val-fraction", "0.25", "--device", "cpu", "--root", str(root)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_share_one_sqlite_study(tmp_path: Path, tiny_models: Any, sentiment_csv: Path) -> None:
    """Two 'machines' (separate runs folders) join one study through one SQLite file at the same moment."""
    db = tmp_path / "shared.db"
    workers = [_worker(sentiment_csv, tiny_models("bert"), db, tmp_path / name) for name in ("a", "b")]
    outputs = [w.communicate(timeout=600) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
        assert "best: trial" in err
    study = optuna.load_study(study_name="shared", storage=f"sqlite:///{db}")
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]  # both workers' trials, no number twice
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    by_root = {name: {t.user_attrs["run_id"] for t in trials if (tmp_path / name / t.user_attrs["run_id"]).is_dir()}
               for name in ("a", "b")}
    assert len(by_root["a"]) == len(by_root["b"]) == 2 and not by_root["a"] & by_root["b"]
    best_value = max(t.value for t in trials if t.state.name == "COMPLETE")
    for out, _ in outputs:
        final = json.loads(out)
        assert len(final["trials"]) == 4 and final["best"]["value"] == best_value
    local = sweep.sweep_status("shared", tmp_path / "a", storage=f"sqlite:///{db}")
    assert sorted(t["run_id"] in by_root["a"] for t in local["trials"]) == [False, False, True, True]
    assert [t["local"] for t in local["trials"]] == [t["run_id"] in by_root["a"] for t in local["trials"]]


@pytest.mark.parametrize(("flags", "message"), [
    (["--trials", "2", "--space", "momentum=0:1"], "momentum' cannot be searched"),
    (["--trials", "2", "--space", "learning_rate=1e-3:1e-5"], "low end below its high end"),
    (["--space", "learning_rate=1e-5:1e-3"], "needs a budget"),
    (["--trials", "-1"], "from 1 to"),
    (["--trials", "2", "--space", "epochs=1:3", "--max-steps", "5"], "max_steps overrides epochs"),
    (["--trials", "2", "--storage", "nosuch://db"], "not a storage URL"),
])
def test_cli_bad_input_is_one_error_line(tmp_path: Path, sentiment_csv: Path, flags: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", str(sentiment_csv), "--root", str(tmp_path), *flags])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err and message in err, err
    assert not (tmp_path / "sweeps").exists()  # refused before any sweep folder is written


def test_cli_sweeps_status_and_stop_need_a_known_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweeps", "--root", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["sweeps", "status", "../etc", "--root", str(tmp_path)]) == 2
    assert "is not a sweep id" in capsys.readouterr().err
    assert main(["sweeps", "stop", "--root", str(tmp_path)]) == 2
    assert "needs a sweep id" in capsys.readouterr().err
