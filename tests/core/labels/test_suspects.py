"""Suspect lists of real tiny runs: every training row scored once, the final pass cached, single and multi-label."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import runs
from core.errors import DataError, RunError
from core.labels import find_suspects
from core.labels.suspects import ABSENT_PRESENT, FINAL, GIVEN_ABSENT, run_rows


def test_a_single_label_run_lists_every_training_row_once_most_suspect_first(run_copy) -> None:
    run_dir = run_copy("single")
    assert (run_dir / "dynamics.npz").is_file()  # recorded by the training itself
    rows = run_rows(run_dir)
    table = find_suspects(run_dir)
    assert list(table.columns) == ["row", "text", "given", "suggested", "confidence", "score"]
    assert sorted(table["row"]) == list(range(len(rows.frame)))
    assert table["score"].is_monotonic_decreasing
    assert (table["given"] != table["suggested"]).all()
    assert table["text"].tolist() == rows.frame["text"].to_numpy()[table["row"]].tolist()
    assert table["given"].tolist() == rows.frame["label"].to_numpy()[table["row"]].tolist()
    assert find_suspects(run_dir, top=3)["row"].tolist() == table["row"].head(3).tolist()
    for source in ("dynamics", "mixed"):
        assert sorted(find_suspects(run_dir, source=source)["row"]) == list(range(len(rows.frame)))


def test_the_final_pass_is_cached_in_the_run_folder_and_recomputed_for_a_new_model(run_copy) -> None:
    run_dir = run_copy("single")
    first = find_suspects(run_dir)
    cache = run_dir / FINAL
    stamp = cache.stat().st_mtime_ns
    assert find_suspects(run_dir).equals(first) and cache.stat().st_mtime_ns == stamp
    weights = next((run_dir / "model").glob("*.safetensors"))
    weights.touch()  # a changed model (e.g. a resumed run saved again) invalidates the cache
    find_suspects(run_dir)
    assert cache.stat().st_mtime_ns != stamp


def test_a_multi_label_run_scores_every_row_and_label(run_copy) -> None:
    run_dir = run_copy("multi")
    rows = run_rows(run_dir)
    assert rows.multi_label and rows.given.shape == (len(rows.frame), 3)
    table = find_suspects(run_dir)
    assert len(table) == 3 * len(rows.frame) and {"label", "issue"} <= set(table.columns)
    line = table.iloc[0]
    given = set(filter(None, line["given"].split(";")))
    suggested = set(filter(None, line["suggested"].split(";")))
    assert given ^ suggested == {line["label"]}  # the suggestion flips exactly that label
    assert line["issue"] == (GIVEN_ABSENT if line["label"] in given else ABSENT_PRESENT)


def test_runs_that_cannot_be_checked_are_refused_in_one_sentence(run_copy, tmp_path: Path) -> None:
    run_dir = run_copy("single")
    runs.write_status(run_dir, "running", pid=None)
    with pytest.raises(RunError, match="still running"):
        find_suspects(run_dir)
    runs.write_status(run_dir, "finished")
    with pytest.raises(DataError, match="top"):
        find_suspects(run_dir, top=0)
    config = json.loads((run_dir / "config.json").read_text())
    changed = tmp_path / "reviews.csv"  # a copy: the session's runs share the original
    changed.write_text("review,sentiment\nchanged,positive\nother,negative\n")
    config["data"]["train_file"] = str(changed)
    (run_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match="changed after the run"):
        find_suspects(run_dir)
    changed.unlink()
    with pytest.raises(DataError, match="is gone"):
        find_suspects(run_dir)
