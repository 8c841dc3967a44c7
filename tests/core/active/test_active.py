"""Ranking a pool, labelling sessions and retraining with the new labels, on two tiny real runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core import runs
from core.active import (
    give_label,
    labels_frame,
    load_session,
    new_session,
    next_row,
    rank_pool,
    read_pool,
    retrain_with_labels,
    skip_row,
    training_pool,
    undo,
)
from core.active.rank import select, uncertainty
from core.active.retrain import ADDED
from core.active.session import counts
from core.cli import main
from core.errors import DataError, RunError


def pool_file(path: Path, n: int = 30) -> Path:
    words = ["great film", "awful film", "loved it", "hated it", "fine I guess", "not sure"]
    path.write_text("id,sentence\n" + "\n".join(f"{i},{words[i % 6]} number {i}" for i in range(n)) + "\n")
    return path


def test_uncertainty_margin_entropy_and_thresholds() -> None:
    p = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    assert list(np.argsort(-uncertainty(p, "margin"))) == [0, 2, 1]
    assert uncertainty(p, "entropy")[0] == pytest.approx(1.0)
    multi = uncertainty(np.array([[0.3, 0.99], [0.9, 0.0]]), thresholds=[0.3, 0.5])
    assert multi[0] > multi[1]  # the first row's first label sits on its threshold


def test_diversity_takes_one_row_per_cluster() -> None:
    scores = np.linspace(1, 0, 40)
    groups = [0] * 10 + [1 + i % 3 for i in range(30)]  # the ten most uncertain rows alike, then three kinds in turn
    embeddings = np.eye(4)[groups] + 1e-3 * np.arange(40)[:, None]
    assert list(select(scores, embeddings, 4)) == [0, 10, 11, 12]
    assert list(select(scores, embeddings, 4, diverse=False)) == [0, 1, 2, 3]
    assert len(set(select(scores, embeddings, 5, method="random", seed=1))) == 5


def test_a_cold_start_is_a_seeded_random_sample() -> None:
    scores = np.linspace(1, 0, 40)
    embeddings = np.eye(4)[[0] * 10 + [1 + i % 3 for i in range(30)]]
    cold = select(scores, embeddings, 5, cold=True, seed=3)
    assert list(cold) == list(select(scores, embeddings, 5, method="random", seed=3))  # the doubts play no part
    assert list(cold) != list(select(scores, embeddings, 5, seed=3))


def scored(run: Path, recalls: tuple[float, float]) -> None:
    """Give the run's metrics.json these validation recalls of its two labels."""
    metrics = runs.read_json(run / "metrics.json", {})
    metrics["per_class"] = {"negative": {"recall": recalls[0], "support": 30},
                            "positive": {"recall": recalls[1], "support": 10}}
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_rank_a_pool_file_single_label(run_copy, tmp_path: Path) -> None:
    run = run_copy("single")
    pool = read_pool(pool_file(tmp_path / "pool.csv"), runs.load_config(run))
    assert pool.text_column == "sentence" and len(pool) == 30
    scored(run, (0.9, 0.7))  # balanced accuracy 0.8, well above chance: the model's doubts rank the pool
    seen = []
    table = rank_pool(run, pool, batch=5, progress=lambda done, total: seen.append((done, total)))
    assert len(table) == 5 and table["rank"].tolist() == [1, 2, 3, 4, 5] and not table.attrs["cold_start"]
    assert set(table["guess"]) <= {"positive", "negative"}
    assert np.allclose(table["p:positive"] + table["p:negative"], 1, atol=1e-3)
    assert table["uncertainty"].is_monotonic_decreasing and seen[-1] == (30, 30)
    scored(run, (1.0, 0.0))  # always 'negative' (accuracy 0.75, balanced 0.5): a cold start samples the pool
    cold = rank_pool(run, pool, batch=5)
    assert cold.attrs["cold_start"] and len(set(cold["row"])) == 5
    assert not rank_pool(run, pool, batch=5, diverse=False).attrs["cold_start"]  # pure doubt, as asked


def test_rank_multi_label(run_copy, tmp_path: Path) -> None:
    run = run_copy("multi")
    (tmp_path / "pool.jsonl").write_text("".join(json.dumps({"text": f"my card crashes {i}"}) + "\n" for i in range(12)))
    table = rank_pool(run, read_pool(tmp_path / "pool.jsonl", runs.load_config(run)), batch=4, method="entropy")
    assert len(table) == 4 and all(isinstance(guess, list) for guess in table["guess"])
    assert {"p:billing", "p:bug", "p:refund"} <= set(table.columns)


def test_bad_pools_and_runs_get_one_sentence(run_copy, tmp_path: Path) -> None:
    run = run_copy("single")
    config = runs.load_config(run)
    (tmp_path / "empty.csv").write_text("text\n")
    with pytest.raises(DataError, match="no rows"):
        read_pool(tmp_path / "empty.csv", config)
    (tmp_path / "numbers.csv").write_text("a,b\n" + "\n".join(f"{i},{i * 2}" for i in range(20)) + "\n")
    with pytest.raises(DataError, match="no column of text"):
        read_pool(tmp_path / "numbers.csv", config)
    (tmp_path / "pool.bin").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(DataError, match="pool file pool.bin"):
        read_pool(tmp_path / "pool.bin", config)
    with pytest.raises(DataError, match="no column 'missing'"):
        read_pool(pool_file(tmp_path / "p.csv"), config, text_column="missing")
    with pytest.raises(DataError, match="no rows without a label"):
        training_pool(config)
    runs.write_json(run / "status.json", {**runs.read_json(run / "status.json"), "state": "failed"})
    (run / "model" / "config.json").unlink()
    with pytest.raises(RunError, match="not finished with a saved model"):
        rank_pool(run, read_pool(tmp_path / "p.csv", config), batch=2)


def test_session_label_skip_undo_and_retrain(run_copy, tmp_path: Path) -> None:
    run = run_copy("single")
    config = runs.load_config(run)
    pool = read_pool(pool_file(tmp_path / "pool.csv"), config)
    table = rank_pool(run, pool, batch=4)
    session = new_session(run, table, pool, config.labels, False, owner=None)
    record = load_session(run, session)
    first = next_row(record)
    give_label(run, session, first["row"], "positive")
    second = next_row(load_session(run, session))
    skip_row(run, session, second["row"])
    with pytest.raises(DataError, match="not one of this run's labels"):
        give_label(run, session, second["row"], "neutral")
    with pytest.raises(DataError, match="not in this session's batch"):
        give_label(run, session, 999, "positive")
    record = undo(run, session)
    assert next_row(record)["row"] == second["row"] and counts(record)["labelled"] == 1
    give_label(run, session, second["row"], "negative")
    frame = labels_frame(load_session(run, session))
    assert frame["label"].tolist() == ["positive", "negative"]
    with pytest.raises(DataError, match="no labelling session"):
        load_session(run, "s-0000000000000000")
    with pytest.raises(DataError, match="no labelling session"):
        load_session(run, "../../etc/passwd")
    new_id = retrain_with_labels(run, session, start=False)
    folder = run.parent / new_id
    added = runs.read_json(folder / ADDED)
    assert added["session"] == session and [r["label"] for r in added["rows"]] == ["positive", "negative"]
    changes = runs.read_json(folder / "data_changes.json")
    assert changes["rows_after"] == changes["rows_before"] + 2 and changes["parent_run"] == run.name


def test_cli_next(run_copy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_copy("single")
    pool = pool_file(tmp_path / "pool.csv")
    scored(run, (0.5, 0.54))  # within 5 points of chance: the CLI says the rows are a random sample
    assert main(["next", str(run), str(pool), "--batch", "3"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert len(rows) == 3 and {"row", "text", "guess", "uncertainty", "p:positive"} <= set(rows[0])
    assert "note: The run is not yet better than chance on its validation rows" in out.err
    assert main(["next", str(run), str(pool), "--batch", "3", "--output", str(tmp_path / "next.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 3
    (tmp_path / "empty.csv").write_text("text\n")
    assert main(["next", str(run), str(tmp_path / "empty.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: The pool file empty.csv has no rows")
