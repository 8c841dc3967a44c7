"""core.files: atomic writes, folder swaps and ids looked up as names, the steps every layer shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import RunError
from core.files import atomic_write, child_by_id, is_id, partial_of, swap_folder, write_json, written_aside


def test_atomic_write_replaces_the_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "status.json"
    target.write_text("old", encoding="utf-8")
    atomic_write(target, "new")
    write_json(tmp_path / "m.json", {"accuracy": 0.5})
    assert target.read_text(encoding="utf-8") == "new"
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == '{\n  "accuracy": 0.5\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "status.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("complete", encoding="utf-8")
    with pytest.raises(ValueError), written_aside(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise ValueError("disk full")
    assert target.read_text(encoding="utf-8") == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_swap_folder_puts_the_new_folder_in_place(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("1", encoding="utf-8")
    partial = partial_of(target)
    partial.mkdir()
    (partial / "new.txt").write_text("2", encoding="utf-8")
    swap_folder(partial, target)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    fresh = partial_of(tmp_path / "index")
    fresh.mkdir()
    swap_folder(fresh, tmp_path / "index")  # no previous folder
    assert (tmp_path / "index").is_dir() and not fresh.exists()


@pytest.mark.parametrize("bad", ["..", "../x", "a/b", "/etc", "a\\b", "", ".hidden", 3, None, "x" * 200, "a/../b"])
def test_child_by_id_refuses_anything_but_a_plain_name(tmp_path: Path, bad: object) -> None:
    assert not is_id(bad)
    with pytest.raises(RunError, match="is not a run id"):
        child_by_id(tmp_path, bad, not_an_id="'{id}' is not a run id.", missing="no '{id}'", error=RunError)


def test_child_by_id_finds_what_exists_and_names_what_does_not(tmp_path: Path) -> None:
    (tmp_path / "run-1").mkdir()
    assert child_by_id(tmp_path, "run-1", not_an_id="bad", missing="no '{id}'") == tmp_path / "run-1"
    with pytest.raises(ValueError, match="no 'RUN-2'"):
        child_by_id(tmp_path, "run-2", not_an_id="bad", missing="no '{id}'", shown=str.upper)
