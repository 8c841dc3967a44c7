"""The column choice: one ``Columns`` value, whose dict form is a run's ``config.json`` data fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.config import DataSettings, RunConfig
from core.data import Columns, load_labelled

OLD_CONFIG = {  # the data part of a run folder's config.json, as runs have always written it
    "train_file": "/data/reviews.csv", "text_column": "review", "label_column": "sentiment",
    "text_pair_column": None, "val_file": None, "multi_label": "no", "val_fraction": 0.1,
}


def test_the_dict_form_is_config_json_s_fields_in_their_order() -> None:
    chosen = Columns("review", "sentiment", "title", "yes")
    assert chosen.to_dict() == {"text_column": "review", "label_column": "sentiment", "text_pair_column": "title",
                                "multi_label": "yes"}
    assert Columns.from_dict(chosen.to_dict()) == chosen
    settings = DataSettings(train_file="d.csv", **chosen.to_dict())
    assert Columns.of(settings) == chosen
    assert list(RunConfig(data=settings).to_dict()["data"]) == list(OLD_CONFIG)  # config.json keeps its layout


def test_an_old_run_folder_s_configuration_gives_its_columns() -> None:
    config = RunConfig.from_dict({"data": OLD_CONFIG, "train": {}, "model": "default"})
    assert Columns.of(config.data) == Columns("review", "sentiment", None, "no")
    assert RunConfig.from_dict(config.to_dict()).to_dict()["data"] == OLD_CONFIG


@pytest.mark.parametrize("saved, expected", [
    ({}, Columns()),
    ({"upload": "x", "text_column": "", "label_column": None, "multi_label": None}, Columns()),
    ({"text_column": "a", "label_column": "b,c", "text_pair_column": "p", "multi_label": "yes"},
     Columns("a", "b,c", "p", "yes")),
])
def test_from_dict_reads_a_saved_data_choice(saved: dict, expected: Columns) -> None:
    assert Columns.from_dict(saved) == expected


def test_the_choice_is_a_frozen_hashable_value() -> None:
    chosen = Columns("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        chosen.text = "b"  # type: ignore[misc]
    assert {chosen: 1}[Columns("a")] == 1  # usable as a cache key


def test_what_was_read_is_the_choice_that_reads_it_again(sentiment_csv: Path) -> None:
    data = load_labelled(sentiment_csv)
    assert data.chosen == Columns("review", "sentiment", None, "no")
    again = load_labelled(sentiment_csv, data.chosen)
    assert again.frame.equals(data.frame) and again.chosen == data.chosen
