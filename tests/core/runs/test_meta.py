"""Run names, tags, notes, owner and share choice (meta.json): checked, written atomically by one module, never
moving the folder."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core import runs
from core.errors import ConfigError
from core.runs.meta import (
    TAGS_MAX,
    meta_path,
    read_meta,
    read_sharing,
    rename_run,
    set_notes,
    share_run,
    tag_run,
    write_owner,
)


@pytest.fixture
def run_dir(tmp_path: Path, copy_run: Callable[..., Path], trained_runs: dict[str, Path]) -> Path:
    return copy_run(trained_runs["a"], tmp_path / "runs")


def test_rename_keeps_the_folder_and_lists_the_name(run_dir: Path) -> None:
    before = sorted(p.name for p in run_dir.parent.iterdir())
    assert rename_run(run_dir, "  Baseline, lr 1e-4 ✓  ")["name"] == "Baseline, lr 1e-4 ✓"
    assert rename_run(run_dir, "../../escape")["name"] == "../../escape"  # a label only: nothing moves
    assert sorted(p.name for p in run_dir.parent.iterdir()) == before and run_dir.is_dir()
    [run] = runs.list_runs(run_dir.parent)
    assert (run["name"], run["run_id"]) == ("../../escape", run_dir.name)
    assert not list(run_dir.glob("*.tmp"))


@pytest.mark.parametrize("name, message", [
    ("", "empty"), ("   ", "empty"), ("x" * 10_000, "at most 80"), ("a\x00b", "control"), ("line\nbreak", "control"),
    ("tab\there", "control"), ("\x1b[31mred", "control"), ("evil\u202eexe.txt", "control"), ("zero\u200bwidth", "control"),
    (None, "must be text"), (42, "must be text"),
])
def test_hostile_names_are_refused_in_one_sentence(run_dir: Path, name: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        rename_run(run_dir, name)  # type: ignore[arg-type]
    text = str(caught.value)
    assert "\n" not in text and len(text) < 200
    assert read_meta(run_dir)["name"] == run_dir.name and not meta_path(run_dir).exists()


def test_tags_are_added_removed_deduplicated_and_kept_in_order(run_dir: Path) -> None:
    assert tag_run(run_dir, add=["baseline", "lr:1e-4", "équipe_2", "v1.2-b"])["tags"] == [
        "baseline", "lr:1e-4", "équipe_2", "v1.2-b"]
    assert tag_run(run_dir, add=["baseline", "best"], remove=["lr:1e-4", "never-there"])["tags"] == [
        "baseline", "équipe_2", "v1.2-b", "best"]
    assert tag_run(run_dir, add="single")["tags"][-1] == "single"  # one tag as a string is one tag
    rename_run(run_dir, "kept")
    assert read_meta(run_dir) == {"name": "kept", "tags": ["baseline", "équipe_2", "v1.2-b", "best", "single"],
                                  "notes": ""}
    [run] = runs.list_runs(run_dir.parent)
    assert run["tags"] == ["baseline", "équipe_2", "v1.2-b", "best", "single"]


@pytest.mark.parametrize("tag, message", [
    ("two words", "letters, digits"), ("../up", "letters, digits"), ("a/b", "letters, digits"), ("x" * 41, "at most 40"),
    ("", "empty"), ("nul\x00", "letters, digits"), (7, "must be text"),
])
def test_bad_tags_are_refused_and_nothing_is_written(run_dir: Path, tag: object, message: str) -> None:
    tag_run(run_dir, add=["ok"])
    with pytest.raises(ConfigError, match=message):
        tag_run(run_dir, add=["fine", tag])  # type: ignore[list-item]
    assert read_meta(run_dir)["tags"] == ["ok"]


def test_at_most_twenty_tags(run_dir: Path) -> None:
    tag_run(run_dir, add=[f"t{i}" for i in range(TAGS_MAX)])
    with pytest.raises(ConfigError, match="at most 20 tags"):
        tag_run(run_dir, add=["one-more"])
    assert len(tag_run(run_dir, add=["one-more"], remove=["t0"])["tags"]) == TAGS_MAX


def test_concurrent_taggers_all_keep_their_tag(run_dir: Path) -> None:
    threads = [threading.Thread(target=tag_run, args=(run_dir,), kwargs={"add": [f"user{i}"]}) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(read_meta(run_dir)["tags"]) == sorted(f"user{i}" for i in range(12))


def test_a_damaged_meta_file_reads_as_the_defaults(run_dir: Path) -> None:
    meta_path(run_dir).write_bytes(b"\xff{")
    assert read_meta(run_dir) == {"name": run_dir.name, "tags": [], "notes": ""}
    meta_path(run_dir).write_text('{"name": "a\\u0000b", "tags": ["ok", "bad tag", 3, "ok"], "notes": 5}')
    assert read_meta(run_dir) == {"name": run_dir.name, "tags": ["ok"], "notes": ""}
    assert tag_run(run_dir, add=["new"])["tags"] == ["ok", "new"]


def test_notes_keep_line_breaks_but_not_control_characters(run_dir: Path) -> None:
    assert set_notes(run_dir, "first try\n\twith warm-up ")["notes"] == "first try\n\twith warm-up"
    with pytest.raises(ConfigError, match="control"):
        set_notes(run_dir, "bell\x07")
    with pytest.raises(ConfigError, match="at most"):
        set_notes(run_dir, "x" * 5000)


def test_meta_of_a_folder_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(runs.RunError, match="not a TuneScope run folder"):
        rename_run(tmp_path / "plain", "name")
    assert not meta_path(tmp_path / "plain").exists()


def test_the_owner_and_the_share_choice_survive_every_change(run_dir: Path) -> None:
    assert read_sharing(run_dir) == {"owner": None, "shared": False}  # a run made before owners were recorded
    write_owner(run_dir, "ann")
    assert read_sharing(run_dir) == {"owner": "ann", "shared": False}  # private by default
    assert share_run(run_dir, True) == {"owner": "ann", "shared": True}
    rename_run(run_dir, "renamed")
    tag_run(run_dir, add=["x"])
    set_notes(run_dir, "notes")
    assert read_sharing(run_dir) == {"owner": "ann", "shared": True}
    assert read_meta(run_dir) == {"name": "renamed", "tags": ["x"], "notes": "notes"}
    assert share_run(run_dir, False)["shared"] is False
    with pytest.raises(ConfigError, match="true or false"):
        share_run(run_dir, "yes")  # type: ignore[arg-type]


def test_a_forged_owner_or_share_value_reads_as_none(run_dir: Path) -> None:
    meta_path(run_dir).write_text('{"owner": ["ann"], "shared": "true"}')
    assert read_sharing(run_dir) == {"owner": None, "shared": False}
    meta_path(run_dir).write_text('{"owner": "bad\\u0000name", "shared": 1}')
    assert read_sharing(run_dir) == {"owner": None, "shared": False}
