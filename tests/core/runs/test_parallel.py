"""A run on several devices at once: the queue holds N slots for it and starts torchrun; the CLI launches torchrun
itself; two real gloo processes on the CPU train, stop, resume and finish as one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core import runs
from core.config import TrainSettings
from core.errors import ConfigError
from core.fewshot.recipe import SETFIT
from core.runs import lock, scheduler, slots
from core.runs.command import child_environment, core_command
from core.runs.queue import queue_run
from core.training.arguments import one_device_per_process
from tests.core.runs.test_queue import FakeChildren, children, queue_of  # noqa: F401 (fixtures)
from tests.core.runs.test_runs import make_run
from tests.polling import poll_until

ROOT = Path(__file__).resolve().parents[3]


def set_gpus(folder: Path, count: int) -> None:
    config = runs.load_config(folder)
    config.train.gpus = count
    config.save(runs.RunPaths(folder).config)


def test_a_two_device_run_waits_for_two_free_slots_and_holds_both(queue_of: Any, children: FakeChildren) -> None:
    folders = queue_of(1)
    root, two = folders[0].parent, ("cpu:0", "cpu:1")
    runs.RunPaths(folders[0]).queue.unlink()
    set_gpus(folders[0], 2)
    queue_run(folders[0])
    assert runs.read_status(folders[0])["message"] == "Waiting in the queue for 2 free devices."
    held = lock.reserve("cpu-1")  # someone else's run holds one of the two
    assert scheduler.tick(root, two) == [] and lock.read_holder("cpu-0") is None  # the free one is let go again
    lock.release(held)
    assert scheduler.tick(root, two) == [folders[0].name]
    child = children.started[-1]
    assert child["processes"] == 2
    assert child["env"]["TUNESCOPE_DEVICE_SLOT"] == "cpu:0,cpu:1" and child["env"]["CUDA_VISIBLE_DEVICES"] == ""
    assert child["env"][lock.HELD_BY_LAUNCHER] == "cpu:0,cpu:1" and lock.INHERITED_FD not in child["env"]
    assert lock.reserve("cpu-0") is None and lock.reserve("cpu-1") is None  # both held by the child
    assert lock.read_holder("cpu-1")["slot"] == "cpu:0,cpu:1"
    children.finish(folders[0])
    for name in ("cpu-0", "cpu-1"):
        fd = lock.reserve(name)
        assert fd is not None
        lock.release(fd)


def test_an_older_two_device_run_is_not_overtaken_by_a_later_one_device_run(queue_of: Any,
                                                                           children: FakeChildren) -> None:
    folders = queue_of(2)
    root = folders[0].parent
    runs.RunPaths(folders[0]).queue.unlink()
    set_gpus(folders[0], 2)
    queue_run(folders[0])  # now the newer of the two: the one-device run is older
    held = lock.reserve("cpu-0")
    assert scheduler.tick(root, ("cpu:0", "cpu:1")) == [folders[1].name]  # the older run takes the free slot
    lock.release(held)
    children.finish(folders[1])
    assert scheduler.tick(root, ("cpu:0", "cpu:1")) == [folders[0].name]


def test_too_many_devices_a_single_device_recipe_and_mps_are_refused_in_one_sentence() -> None:
    with pytest.raises(runs.RunError, match=r"asks for 3 devices at once and this app has 2 \(cpu:0, cpu:1\)"):
        slots.check_device("cpu", ("cpu:0", "cpu:1"), 3)
    slots.check_device("auto", ("cuda:0", "cuda:1", "cpu"), 2)
    with pytest.raises(ConfigError, match="Apple MPS is one device"):
        TrainSettings(device="mps", gpus=2).validate()
    with pytest.raises(ConfigError, match="setfit recipe trains on one device"):
        SETFIT.check(SimpleNamespace(train=TrainSettings(recipe="setfit", gpus=2), data=SimpleNamespace(
            text_pair_column=None, multi_label="auto")))
    with pytest.raises(ConfigError, match="gpus"):
        TrainSettings(gpus=0).validate()


def test_several_gpus_are_seen_together_and_launched_through_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3,5")
    assert slots.child_env(["cuda:0", "cuda:2"]) == {"CUDA_VISIBLE_DEVICES": "2,5"}
    assert slots.foreground_slots("cuda", 2) == ["cuda:0", "cuda:1"]
    assert slots.foreground_slots("cpu", 3) == ["cpu", "cpu:1", "cpu:2"]
    command = core_command(["train", "--run-dir", "x"], 2)
    assert command[1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    assert command[-4:] == ["core", "train", "--run-dir", "x"] and core_command(["train"], 1)[1:] == ["-m", "core", "train"]


def test_every_launcher_builds_the_childs_environment_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSFORMERS_VERBOSITY", "info")  # the admin's choice wins over the quieting
    monkeypatch.setenv("PYTHONPATH", "/opt/extra")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    local = child_environment(2, {"CUDA_VISIBLE_DEVICES": "1"})
    assert local["TRANSFORMERS_VERBOSITY"] == "info" and local["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    assert local["PYTHONPATH"] == os.pathsep.join([str(ROOT), "/opt/extra"]) and local["PYTHONUNBUFFERED"] == "1"
    assert local["CUDA_VISIBLE_DEVICES"] == "1" and int(local["OMP_NUM_THREADS"]) >= 1  # the cores shared out
    remote = child_environment(2, {"TUNESCOPE_CHILD": "1"}, inherit=False)  # a cluster job: nothing of this machine
    assert remote["PYTHONPATH"] == str(ROOT) and "OMP_NUM_THREADS" not in remote and "HOME" not in remote
    assert remote["TRANSFORMERS_VERBOSITY"] == "error" and remote["TUNESCOPE_CHILD"] == "1"


def test_one_process_on_a_machine_of_several_gpus_uses_one_of_them() -> None:
    import torch

    args = SimpleNamespace(device=torch.device("cuda", 0), _n_gpu=8)  # the Trainer would wrap in DataParallel
    assert one_device_per_process(1, args)._n_gpu == 1
    assert one_device_per_process(2, SimpleNamespace(device=torch.device("cuda", 0), _n_gpu=1))._n_gpu == 1


def steps_of(run_dir: Path) -> list[dict[str, Any]]:
    return [event for event in runs.read_events(run_dir) if event["event"] == "step"]


@pytest.mark.slow
def test_two_gloo_processes_train_stop_resume_and_finish_as_one_run(tmp_path: Path, tiny_models: Any,
                                                                     sentiment_csv: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNESCOPE_LOCKS", str(tmp_path / "locks"))
    folder = make_run(tmp_path / "made", sentiment_csv, tiny_models("bert"), max_steps=400, eval_steps=100,
                      logging_steps=1, device="cpu", gpus=2, learning_rate=1e-5)
    root = tmp_path / "runs"
    root.mkdir()
    folder = folder.rename(root / "run-par")
    queue_run(folder)
    assert scheduler.tick(root, ("cpu:0", "cpu:1")) == [folder.name]
    poll_until(lambda: any(e["event"] == "checkpoint" for e in runs.read_events(folder))
               or runs.read_status(folder)["state"] in runs.FINAL_STATES, "a first checkpoint")
    runs.request_stop(folder)
    stopped = runs.wait_for(folder, timeout=600, poll=0.2)
    log = (folder / "train.log").read_text()
    assert stopped["state"] == "stopped", log[-3000:]
    first = steps_of(folder)
    assert first and first[0]["loss"] < 1.0  # ~ln 2, not doubled by the process count
    poll_until(lambda: lock.read_holder("cpu-0") is None and lock.read_holder("cpu-1") is None,
               "both devices let go once torchrun ended")
    runs.resume_run(folder, queued=True)
    assert scheduler.tick(root, ("cpu:0", "cpu:1")) == [folder.name]
    final = runs.wait_for(folder, timeout=600, poll=0.2)
    assert final["state"] == "finished", (folder / "train.log").read_text()[-3000:]
    config = runs.load_config(folder)
    assert config.resolved["world_size"] == 2 and config.resolved["effective_batch_size"] == 8
    assert config.resolved["device_slot"] == "cpu:0,cpu:1"
    steps = [event["step"] for event in steps_of(folder)]
    assert steps == sorted(set(steps)) and steps[-1] == 400  # one writer: each step once, none lost at the resume
    assert "(2 processes, data parallel)" in (folder / "README.md").read_text()
    from core.training.dynamics import TrainingDynamics

    resumed = [e for e in runs.read_events(folder) if e["event"] == "started"][-1]["resumed_from_step"]
    recorded = int(TrainingDynamics.load(folder / "dynamics.npz").counts.sum())
    assert resumed > 0 and recorded >= 0.9 * (400 - resumed) * 4 * 2  # both processes' rows, since the resume
    assert not list(folder.glob(".dynamics-rank*"))
    from core.inference.loading import load_for_inference
    from core.inference.predict import predict_texts

    assert len(predict_texts(load_for_inference(str(folder / "model")), ["a wonderful film"])) == 1


@pytest.mark.slow
def test_the_cli_trains_on_two_processes_in_the_foreground(tmp_path: Path, tiny_models: Any,
                                                           sentiment_csv: Path) -> None:
    env = {**os.environ, "TUNESCOPE_LOCKS": str(tmp_path / "locks"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(ROOT)}
    out = tmp_path / "cli-run"
    done = subprocess.run([sys.executable, "-m", "core", "train", str(sentiment_csv), "--model",
                           str(tiny_models("bert")), "--device", "cpu", "--gpus", "2", "--max-steps", "6",
                           "--batch-size", "4", "--output", str(out)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["state"] == "finished" and summary["processes"] == 2 and summary["global_step"] == 6
    assert runs.load_config(out).resolved["world_size"] == 2
    assert (out / "model" / "config.json").exists()
