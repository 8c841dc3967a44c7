"""``python -m core runs``: list as before, and diff, rm, tag, rename by run id or path; one error line on misuse."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import runs
from core.cli import main
from tests.polling import CEILING

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def root(tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> Path:
    copy_run(trained_runs["a"], tmp_path / "runs")
    copy_run(trained_runs["b"], tmp_path / "runs")
    return tmp_path / "runs"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors (still one line, exit 2)
        code = exc.code
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else out, err


def test_plain_runs_still_lists_from_root_or_the_environment(root: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, listed, _ = run_cli(capsys, "runs", "--root", str(root))
    assert code == 0 and len(listed) == 2 and {"run_id", "state", "name", "tags", "best_metric"} <= listed[0].keys()
    monkeypatch.setenv("TUNESCOPE_RUNS", str(root))
    assert run_cli(capsys, "runs")[1] == run_cli(capsys, "runs", "list")[1] == listed
    done = subprocess.run([sys.executable, "-m", "core", "runs", "--root", str(root)], cwd=ROOT, capture_output=True,
                          text=True, timeout=CEILING)
    assert done.returncode == 0 and [r["run_id"] for r in json.loads(done.stdout)] == [r["run_id"] for r in listed]


def test_rename_tag_and_diff_by_id_and_by_path(root: Path, trained_runs: dict[str, Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, b = trained_runs["a"].name, trained_runs["b"].name
    assert run_cli(capsys, "runs", "rename", a, "first try", "--root", str(root))[1]["name"] == "first try"
    code, meta, _ = run_cli(capsys, "runs", "tag", str(root / a), "--add", "baseline", "cpu", "--remove", "cpu")
    assert code == 0 and meta["tags"] == ["baseline"]
    assert run_cli(capsys, "runs", "tag", a, "--root", str(root))[1]["tags"] == ["baseline"]  # shows the tags
    code, diff, _ = run_cli(capsys, "runs", "diff", a, str(root / b), "--root", str(root))
    assert code == 0 and diff["changed"]["train.learning_rate"] == [1e-4, 5e-4] and diff["names"][0] == "first try"
    listed = {r["run_id"]: r for r in runs.list_runs(root)}
    assert (listed[a]["name"], listed[a]["tags"]) == ("first try", ["baseline"])


def test_rm_needs_yes_then_deletes(root: Path, trained_runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gone = trained_runs["b"].name
    code, _, err = run_cli(capsys, "runs", "rm", gone, "--root", str(root))
    assert code == 2 and err.count("\n") == 1 and err.startswith("error:") and "add --yes" in err
    assert (root / gone / "model").is_dir()
    code, removed, _ = run_cli(capsys, "runs", "rm", gone, "--yes", "--root", str(root))
    assert code == 0 and removed["run_id"] == gone and removed["bytes"] > 0 and not (root / gone).exists()


@pytest.mark.parametrize("argv, message", [
    (["runs", "rm"], "takes 1 argument"),
    (["runs", "diff", "A"], "takes 2 arguments"),
    (["runs", "rename", "A"], "takes 2 arguments"),
    (["runs", "list", "A"], "takes no arguments"),
    (["runs", "remove", "A"], "invalid choice"),
    (["runs", "rename", "A", "B", "--add", "x"], "--add and --remove go with"),
    (["runs", "tag", "no-such-run", "--add", "x"], "no run 'no-such-run'"),
    (["runs", "tag", "RUN_A", "--add", "two words"], "letters, digits"),
    (["runs", "rename", "RUN_A", "bad\nname"], "control"),
    (["runs", "rm", "ROOT", "--yes"], "runs folder itself"),
    (["runs", "tag", "ROOT"], "not a TuneScope run folder"),
    (["runs", "rm", "RUN_ACTIVE", "--yes"], "stop it first"),
])
def test_bad_use_is_one_error_line_and_exit_2(root: Path, trained_runs: dict[str, Path],
                                              capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    active = trained_runs["a"].name
    runs.write_status(root / active, "running")
    names = {"RUN_A": trained_runs["b"].name, "ROOT": str(root), "RUN_ACTIVE": active}
    code, _, err = run_cli(capsys, *[names.get(arg, arg) for arg in argv], "--root", str(root))
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1 and message in err
    assert len(runs.list_runs(root)) == 2
