"""Deleting runs: never an active run, a link, the runs folder or anything outside it; crash-safe."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.runs import remove
from core.runs.remove import remove_run


@pytest.fixture
def root(tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> Path:
    copy_run(trained_runs["a"], tmp_path / "runs")
    copy_run(trained_runs["b"], tmp_path / "runs")
    return tmp_path / "runs"


def _ids(root: Path) -> list[str]:
    return [r["run_id"] for r in runs.list_runs(root)]


def test_remove_deletes_the_folder_and_says_what_it_freed(root: Path, trained_runs: dict[str, Path]) -> None:
    keep, gone = trained_runs["a"].name, trained_runs["b"].name
    removed = remove_run(root / gone, root)
    assert removed["run_id"] == gone and removed["bytes"] > 1000
    assert not (root / gone).exists() and _ids(root) == [keep]
    assert sorted(p.name for p in root.iterdir()) == [keep]  # no .deleting-* left behind


@pytest.mark.parametrize("state", ["running", "queued"])
def test_an_active_run_is_refused(root: Path, trained_runs: dict[str, Path], state: str) -> None:
    run_dir = root / trained_runs["a"].name
    runs.write_status(run_dir, state)  # with this test process's pid, which is alive
    with pytest.raises(runs.RunError, match="stop it first"):
        remove_run(run_dir, root)
    assert runs.read_status(run_dir)["state"] == state and (run_dir / "model").is_dir()


def test_a_stopping_run_is_refused_until_it_stopped(root: Path, trained_runs: dict[str, Path]) -> None:
    run_dir = root / trained_runs["a"].name
    runs.write_status(run_dir, "running")
    (run_dir / "STOP").write_text("")
    with pytest.raises(runs.RunError, match="wait until it has stopped"):
        remove_run(run_dir, root)
    runs.write_status(run_dir, "stopped")
    assert remove_run(run_dir, root)["run_id"] == run_dir.name


def test_an_active_run_with_a_damaged_status_is_refused(root: Path, trained_runs: dict[str, Path]) -> None:
    import json
    import os
    import time

    run_dir = root / trained_runs["a"].name
    (run_dir / "status.json").write_text("{broken")
    (run_dir / "launch.json").write_text(json.dumps({"pid": os.getpid(), "launched": time.time()}))
    with pytest.raises(runs.RunError, match="stop it first"):
        remove_run(run_dir, root)
    (run_dir / "launch.json").unlink()  # nobody works on it: a damaged run can be deleted
    assert remove_run(run_dir, root)["run_id"] == run_dir.name


def test_links_are_never_followed(tmp_path: Path, root: Path, copy_run: Callable[..., Path],
                                  trained_runs: dict[str, Path]) -> None:
    outside = copy_run(trained_runs["a"], tmp_path / "elsewhere")
    (root / "link-out").symlink_to(outside, target_is_directory=True)
    (root / "link-in").symlink_to(root / trained_runs["b"].name, target_is_directory=True)
    for link in ("link-out", "link-in"):
        with pytest.raises(runs.RunError, match="is a link"):
            remove_run(root / link, root)
    (tmp_path / "root-link").symlink_to(root, target_is_directory=True)
    with pytest.raises(runs.RunError, match="is a link"):
        remove_run(tmp_path / "root-link", root)
    (tmp_path / "alias").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(runs.RunError, match="runs folder itself"):
        remove_run(tmp_path / "alias" / root.name, root)  # the root reached through a linked parent
    with pytest.raises(runs.RunError, match="not a run folder directly inside"):
        remove_run(root / "link-out" / "model", root)  # through a link, out of the root
    assert (outside / "model").is_dir() and len(_ids(root)) == 4  # the two links list like runs


def test_the_root_and_folders_that_are_not_runs_are_refused(tmp_path: Path, root: Path,
                                                            copy_run: Callable[..., Path],
                                                            trained_runs: dict[str, Path]) -> None:
    (root / "uploads").mkdir()
    (root / "uploads" / "data.csv").write_text("a,b\n")
    elsewhere = copy_run(trained_runs["a"], tmp_path / "other")
    cases = [(root, "runs folder itself"), (root / ".." / root.name, "runs folder itself"),
             (root / "uploads", "not a run folder"), (elsewhere, "not a run folder directly inside"),
             (root / trained_runs["a"].name / "model", "not a run folder directly inside"),
             (root / "missing", "does not exist"), (tmp_path, "not a run folder directly inside")]
    for target, message in cases:
        with pytest.raises(runs.RunError, match=message):
            remove_run(target, root)
    assert (root / "uploads" / "data.csv").exists() and elsewhere.is_dir() and len(_ids(root)) == 2
    with pytest.raises(runs.RunError, match="does not exist"):
        remove_run(elsewhere, tmp_path / "no-such-root")


def test_a_crash_half_way_leaves_a_hidden_leftover_not_a_half_run(root: Path, trained_runs: dict[str, Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    gone, real_rmtree = trained_runs["b"].name, shutil.rmtree

    def crash(path: Path, *args: Any, **kwargs: Any) -> None:
        real_rmtree(Path(path) / "model")  # some of it is gone, then the disk fails
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(remove.shutil, "rmtree", crash)
    with pytest.raises(runs.RunError, match=r"only partly deleted.*\.deleting-"):
        remove_run(root / gone, root)
    monkeypatch.undo()
    assert _ids(root) == [trained_runs["a"].name]  # the half-deleted run does not list
    assert (root / f".deleting-{gone}").is_dir() and not (root / gone).exists()
    (root / gone).mkdir()  # a new run with the same id: deleting it again works beside the leftover
    (root / gone / "status.json").write_text('{"state": "failed"}')
    assert remove_run(root / gone, root)["run_id"] == gone
    assert sorted(p.name for p in root.iterdir()) == [f".deleting-{gone}", trained_runs["a"].name]


def test_a_run_started_during_the_delete_is_put_back(root: Path, trained_runs: dict[str, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = root / trained_runs["a"].name
    checks = iter([None, "running"])  # idle when checked, running once renamed
    monkeypatch.setattr(remove, "_active_state", lambda folder: next(checks))
    with pytest.raises(runs.RunError, match="stop it first"):
        remove_run(run_dir, root)
    assert (run_dir / "model").is_dir() and not list(root.glob(".deleting-*"))
