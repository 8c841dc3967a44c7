"""Corrected copies of a run's training rows, retraining on them, and the CLI, on real tiny runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core import runs
from core.cli import main
from core.data import Columns, load_labelled
from core.data.uploads import is_upload_id
from core.errors import DataError
from core.labels import find_suspects, fix_data, retrain
from core.labels.fixes import CHANGES, TAG, top_changes
from core.labels.suspects import run_rows


def test_fix_data_writes_an_upload_without_the_dropped_rows_and_with_the_new_labels(run_copy) -> None:
    run_dir = run_copy("single")
    rows = run_rows(run_dir)
    old = rows.frame["label"].tolist()
    new_label = "negative" if old[2] == "positive" else "positive"
    path = fix_data(run_dir, drop=[0, 1], relabel={"2": new_label})
    assert path.parent == run_dir.parent / "uploads" and is_upload_id(path.name)
    fixed = load_labelled(path).frame
    assert len(fixed) == len(old) - 2
    assert fixed["text"].tolist() == rows.frame["text"].tolist()[2:]
    assert fixed["label"].tolist() == [new_label, *old[3:]]


def test_retrain_creates_a_run_with_the_same_settings_and_validation_rows_and_records_the_changes(run_copy) -> None:
    run_dir = run_copy("single")
    rows = run_rows(run_dir)
    other = "negative" if rows.frame.at[3, "label"] == "positive" else "positive"
    new_id = retrain(run_dir, drop=[5], relabel={3: other}, start=False)
    folder = run_dir.parent / new_id
    changes = json.loads((folder / CHANGES).read_text())
    assert changes["parent_run"] == run_dir.name and changes["rows_after"] == len(rows.frame) - 1
    assert changes["dropped"] == [{"row": 5, "label": rows.frame.at[5, "label"]}]
    assert changes["relabelled"] == [{"row": 3, "old": rows.frame.at[3, "label"], "new": other}]
    parent, child = runs.load_config(run_dir), runs.load_config(folder)
    assert child.train == parent.train and child.model == parent.model and child.labels == parent.labels
    assert run_rows(folder).val["text"].tolist() == rows.val["text"].tolist()
    assert runs.read_status(folder)["state"] == "created" and TAG in runs.read_meta(folder)["tags"]


def test_a_multi_label_run_is_corrected_with_label_sets(run_copy) -> None:
    run_dir = run_copy("multi")
    path = fix_data(run_dir, drop=[], relabel={0: "billing;refund", 1: "", 2: ["bug"]})
    fixed = load_labelled(path, Columns(multi_label="yes"))
    assert fixed.multi_label and fixed.frame["label"].tolist()[:3] == [("billing", "refund"), (), ("bug",)]
    table = find_suspects(run_dir)
    drop, relabel = top_changes(table, drop_top=1, relabel_top=3)
    assert drop == [int(table.at[0, "row"])] and relabel and set(relabel).isdisjoint(drop)


@pytest.mark.parametrize(("drop", "relabel", "message"), [
    ([10_000], {}, "not a training row"), ([], {0: "neutral"}, "not one of this run's labels"),
    ([1], {1: "positive"}, "both dropped and relabelled"), ([], {}, "Nothing to change"),
])
def test_bad_changes_are_refused_in_one_sentence(run_copy, drop, relabel, message) -> None:
    with pytest.raises(DataError, match=message):
        fix_data(run_copy("single"), drop=drop, relabel=relabel)


def test_the_cli_writes_the_list_as_csv_with_formulas_escaped_and_refuses_bad_use(run_copy, tmp_path: Path,
                                                                                   capsys) -> None:
    run_dir = run_copy("single")
    out = tmp_path / "suspects.csv"
    assert main(["suspects", str(run_dir), "--out", str(out)]) == 0
    written = pd.read_csv(out, keep_default_na=False)
    assert len(written) == len(run_rows(run_dir).frame)
    formulas = [text for text in written["text"] if text.lstrip("'")[:1] in "=+@"]
    assert formulas and all(text.startswith("'") for text in formulas)
    assert main(["suspects", str(run_dir), "--retrain"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: --retrain needs changes")
    assert main(["suspects", str(run_dir), "--relabel", "x=1"]) == 2
    assert main(["suspects", str(run_dir), "--drop-top", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["rows_after"] == len(run_rows(run_dir).frame) - 2
    assert main(["suspects", str(run_dir), "--drop", "0", "--retrain"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["state"] == "finished" and trained["changes"]["dropped"][0]["row"] == 0
    assert runs.read_status(run_dir.parent / trained["run_id"])["state"] == "finished"
