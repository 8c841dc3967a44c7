"""The search space: parsing, checks against the settings' declarations, the base settings as first trial."""

from __future__ import annotations

import optuna
import pytest

from core.config import TrainSettings
from core.errors import ConfigError
from core.sweep.space import DEFAULT_SPACE, apply_params, base_values, check_base, parse_space, space_text


def test_default_space_searches_the_five_settings() -> None:
    params = {p.name: p for p in parse_space(None)}
    assert list(params) == ["learning_rate", "epochs", "batch_size", "warmup_ratio", "dropout"]
    assert params["learning_rate"].log and params["epochs"].whole and params["batch_size"].choices == (16, 32, 64)
    assert not params["warmup_ratio"].whole
    assert parse_space(space_text(parse_space(DEFAULT_SPACE))) == parse_space(DEFAULT_SPACE)


def test_space_forms_are_equivalent() -> None:
    text = "learning_rate=1e-5:1e-3:log batch_size=8,16"
    assert parse_space(text) == parse_space(text.split()) == parse_space(
        {"learning_rate": "1e-5:1e-3:log", "batch_size": "8,16", "dropout": ""})


@pytest.mark.parametrize(("space", "message"), [
    ("momentum=0:1", "cannot be searched"),
    ("learning_rate=1e-3:1e-5", "low end below its high end"),
    ("learning_rate=0:1e-3:log", "positive low end"),
    ("learning_rate=a:b", "not a number"),
    ("learning_rate=1e-5:2", "outside what the setting allows"),
    ("batch_size=0,16", "outside what the setting allows"),
    ("batch_size=7.5,16", "whole numbers"),
    ("warmup_ratio=0:1", "outside what the setting allows"),
    ("dropout=0:1", r"\[0, 1\)"),
    ("epochs=1:2:3", "low:high, low:high:log or a,b,c"),
    ("epochs=", "missing"),
    ("epochs=1:2 epochs=1:3", "more than once"),
    ("", "empty"),
])
def test_bad_spaces_are_refused_in_one_sentence(space: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_space(space)


def test_epochs_under_max_steps_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_steps overrides epochs"):
        check_base(parse_space("epochs=1:3"), TrainSettings(max_steps=10))
    check_base(parse_space("learning_rate=1e-5:1e-3"), TrainSettings(max_steps=10))


def test_base_values_are_the_settings_inside_the_space() -> None:
    params = parse_space(DEFAULT_SPACE)
    assert base_values(params, TrainSettings(epochs=1)) == {"learning_rate": 1e-4, "epochs": 1, "batch_size": 32,
                                                            "warmup_ratio": 0.06, "dropout": 0.0}  # 'auto' = off at 1 epoch
    # an auto length is no point of the space (trials sample one), and its dropout 'auto' keeps the model's rates
    assert base_values(params, TrainSettings()) == {"learning_rate": 1e-4, "batch_size": 32, "warmup_ratio": 0.06}
    assert "batch_size" not in base_values(params, TrainSettings(batch_size=8))
    assert "dropout" not in base_values(params, TrainSettings(epochs=3))  # 'auto' keeps the model's own rates


def test_sampled_values_stay_inside_the_space_and_make_valid_settings() -> None:
    params = parse_space(DEFAULT_SPACE + " weight_decay=0:0.1")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = {p.name: p.suggest(trial) for p in params}
        assert all(p.contains(values[p.name]) for p in params)
        assert isinstance(values["epochs"], int) and values["batch_size"] in (16, 32, 64)
        train = apply_params(TrainSettings(), values)
        assert train.learning_rate == values["learning_rate"] and train.dropout == values["dropout"]
        study.tell(trial, 0.0)
