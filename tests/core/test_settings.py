"""Settings declared once in ``core.config``: CLI round trip over every setting, range checks, model card.

The cases are generated from the declarations themselves, so a setting added to ``core.config`` is
covered here without editing this file (and a setting the CLI cannot reproduce fails the round trip).
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import signal
from pathlib import Path
from typing import Any, Optional

import pytest

from core.cli import main
from core.cli.flags import add_flags, options_from
from core.cli.options import InspectOptions
from core.cli.parser import Parser, build_parser
from core.cli.settings import config_from_args, train_command
from core.config import MAX_LENGTH, MULTI_LABEL_MODES, DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError
from core.runs.card import settings_table
from core.settings import Spec, allows_none, base_type, check_value, convert, is_list, setting, spec_of, specs

TRAIN_FILE = "my data.csv"  # a space: the command must be shell-quoted


def declared() -> list[tuple[type, dataclasses.Field, Spec]]:
    """Every declared setting of both settings classes except the training file (the positional)."""
    return [(cls, item, spec) for cls in (DataSettings, TrainSettings) for item, spec in specs(cls)
            if item.name != "train_file"]


def non_default(item: dataclasses.Field, spec: Spec) -> Any:
    """A valid value different from the default, derived from the declaration.

    Floats get 9 significant digits so a command that rounds them (e.g. to 6 with ``:g``) fails.
    """
    kind = base_type(item)
    if kind == "bool":
        return not item.default
    if kind == "float|str":
        return 0.123456789
    if kind == "str":
        if spec.choices:
            return next(choice for choice in spec.choices if choice != item.default)
        return f"{item.name} value"  # column names and file names, with a space
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else low + 1000
    if kind == "int":
        value = int(low) + 3
        return value + 1 if value == item.default else value
    value = low + (high - low) * 0.123456789
    assert value != item.default
    return value


def config_with(**changes: Any) -> RunConfig:
    data = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(DataSettings)}}
    train = {k: v for k, v in changes.items() if k not in data}
    return RunConfig(data=DataSettings(train_file=TRAIN_FILE, **data), train=TrainSettings(**train),
                     model="some model")


def round_trip(config: RunConfig) -> RunConfig:
    words = shlex.split(train_command(config))
    assert words[:4] == ["python", "-m", "core", "train"]
    args = build_parser().parse_args(words[3:])
    return config_from_args(args)


SETTINGS = declared()
IDS = [item.name for _, item, _ in SETTINGS]


def test_every_setting_is_covered() -> None:
    names = set(IDS)
    assert {"val_fraction", "text_column", "epochs", "learning_rate", "dropout", "freeze_embeddings",
            "max_grad_norm", "lora", "lora_rank", "early_stopping_patience"} <= names
    assert len(names) == len(IDS)  # one flag per name


@pytest.mark.parametrize("cls, item, spec", SETTINGS, ids=IDS)
def test_one_non_default_setting_survives_the_cli_round_trip(cls: type, item: dataclasses.Field,
                                                             spec: Spec) -> None:
    value = non_default(item, spec)
    config = config_with(**{item.name: value})
    config.validate()  # the chosen value is allowed
    assert getattr(config.data if cls is DataSettings else config.train, item.name) != item.default
    parsed = round_trip(config)
    assert parsed.data == config.data
    assert parsed.train == config.train
    assert parsed.model == config.model


def test_all_settings_non_default_at_once_survive_the_round_trip() -> None:
    config = config_with(**{item.name: non_default(item, spec) for _, item, spec in SETTINGS})
    config.validate()
    for _, item, _ in SETTINGS:
        owner = config.data if hasattr(config.data, item.name) else config.train
        assert getattr(owner, item.name) != item.default, item.name
    parsed = round_trip(config)
    assert parsed.data == config.data
    assert parsed.train == config.train


def test_defaults_round_trip_and_omitted_flags_keep_defaults() -> None:
    config = config_with()
    assert round_trip(config).train == TrainSettings()
    args = build_parser().parse_args(["train", "d.csv"])
    parsed = config_from_args(args)
    assert parsed.train == TrainSettings() and parsed.data == DataSettings(train_file="d.csv")


@pytest.mark.parametrize("text, expected", [("0.1", 0.1), ("0", 0.0), ("model", "model"), ("auto", "auto")])
def test_dropout_flag_is_a_rate_or_a_word(text: str, expected: float | str) -> None:
    train = config_from_args(build_parser().parse_args(["train", "d.csv", "--dropout", text])).train
    assert train.dropout == expected and type(train.dropout) is type(expected)


def test_old_flag_names_keep_working() -> None:
    args = build_parser().parse_args([
        "train", "d.csv", "--scheduler", "cosine", "--gradient-accumulation", "4", "--early-stopping", "3",
        "--metric", "accuracy", "--train-embeddings", "--val-data", "v.csv", "--lora", "--lora-rank", "16",
        "--max-grad-norm", "1",
    ])
    config = config_from_args(args)
    t = config.train
    assert (t.lr_scheduler, t.gradient_accumulation_steps, t.early_stopping_patience) == ("cosine", 4, 3)
    assert (t.metric_for_best_model, t.freeze_embeddings, t.lora, t.lora_rank) == ("accuracy", False, True, 16)
    assert t.max_grad_norm == 1.0 and config.data.val_file == "v.csv"


# --- refusing values -----------------------------------------------------------------------------


def _too_low(item: dataclasses.Field, spec: Spec) -> list[Any]:
    step = 1 if base_type(item) == "int" else 0.5
    values = [spec.minimum - step]
    if spec.above:
        values.append(spec.minimum)  # an exclusive bound itself is refused too
    return values


def _too_high(item: dataclasses.Field, spec: Spec) -> list[Any]:
    step = 1 if base_type(item) == "int" else 0.5
    values = [spec.maximum + step]
    if spec.below:
        values.append(spec.maximum)
    return values


REFUSED = [
    pytest.param(item, spec, value, id=f"{item.name}={value!r}")
    for _, item, spec in SETTINGS
    for value in [
        *(_too_low(item, spec) if spec.minimum is not None else []),
        *(_too_high(item, spec) if spec.maximum is not None else []),
        *(["bogus"] if spec.choices else []),
        *([math.nan] if base_type(item) in ("int", "float") else []),
        *(({"epochs": [0.0, 101.0, -0.1]}.get(item.name, [1.0, -0.1])) if base_type(item) == "float|str" else []),
    ]
]


def test_refused_cases_cover_the_bounded_and_choice_settings() -> None:
    refused = {case.values[0].name for case in REFUSED}
    assert {"seed", "batch_size", "val_fraction", "lr_scheduler", "device", "dropout", "max_grad_norm",
            "max_steps"} <= refused


@pytest.mark.parametrize("item, spec, value", REFUSED)
def test_check_value_refuses_and_names_the_setting(item: dataclasses.Field, spec: Spec, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        check_value(item, spec, value)
    assert item.name in str(info.value)


@pytest.mark.parametrize("cls, item, spec", SETTINGS, ids=IDS)
def test_check_value_accepts_the_default_and_a_valid_value(cls: type, item: dataclasses.Field, spec: Spec) -> None:
    check_value(item, spec, item.default)
    check_value(item, spec, non_default(item, spec))
    if spec.minimum is not None and not spec.above:
        check_value(item, spec, int(spec.minimum) if base_type(item) == "int" else float(spec.minimum))


BAD_TEXT = [
    pytest.param(item, spec, raw, id=f"{item.name}={raw}")
    for _, item, spec in SETTINGS
    for raw in {"int": ["abc", "2.5", "inf"], "float": ["abc", "1,5"], "float|str": ["abc"]}.get(base_type(item), [])
]


@pytest.mark.parametrize("item, spec, raw", BAD_TEXT)
def test_convert_refuses_text_of_the_wrong_type_and_names_the_setting(item: dataclasses.Field, spec: Spec,
                                                                      raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        convert(item, spec, raw)
    assert item.name in str(info.value)


def test_one_sided_bounds_are_reported_not_crashed_on() -> None:
    @dataclasses.dataclass
    class Extra:
        at_least: int = setting(2, minimum=2, help="h", label="l")
        at_most: float = setting(1.0, maximum=3, help="h", label="l")

    fields = dict((item.name, (item, spec)) for item, spec in specs(Extra))
    with pytest.raises(ConfigError, match="at_least must be at least 2 "):
        check_value(*fields["at_least"], 1)
    with pytest.raises(ConfigError, match="at_most must be at most 3 "):
        check_value(*fields["at_most"], 3.5)
    check_value(*fields["at_least"], 2)
    check_value(*fields["at_most"], 3.0)


def test_whole_number_bounds_are_written_in_full() -> None:
    item, spec = next((item, spec) for item, spec in specs(TrainSettings) if item.name == "seed")
    with pytest.raises(ConfigError, match=r"\[0, 4294967295\]"):
        check_value(item, spec, 2**32)


# --- the command line refuses before creating anything ----------------------------------------------


@pytest.fixture
def keep_sigterm():
    """``train`` makes the process a training process (SIGTERM = stop): undo that for the test process."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize("flags, fragment", [
    (["--seed", "-1"], "seed"),
    (["--batch-size", "0"], "batch_size"),
    (["--batch-size", "inf"], "batch_size"),
    (["--scheduler", "bogus"], "--scheduler"),
    (["--dropout", "2"], "dropout"),
    (["--max-grad-norm", "0"], "max_grad_norm"),
    (["--epochs", "abc"], "epochs"),
    (["--epochs", "nan"], "epochs"),
    (["--learning-rate", "1"], "learning_rate"),
    (["--val-fraction", "0.95"], "val_fraction"),
    (["--max-steps", "-3"], "max_steps"),
], ids=lambda case: " ".join(case) if isinstance(case, list) else None)
def test_cli_refuses_bad_settings_with_one_error_line(capsys: pytest.CaptureFixture[str], keep_sigterm: None,
                                                      sentiment_csv: Path, tmp_path: Path, flags: list[str],
                                                      fragment: str) -> None:
    output = tmp_path / "run"
    try:
        code = main(["train", str(sentiment_csv), "--output", str(output), *flags])
    except SystemExit as exc:  # argparse's own errors (bad choice) exit from the parser
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0], captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not output.exists()  # refused before any run folder was written


# --- the model card -----------------------------------------------------------------------------------


def test_settings_table_lists_every_setting_with_non_defaults_in_bold() -> None:
    default_rows = _rows(settings_table(config_with()))
    assert set(default_rows) == set(IDS)
    assert not any(text.startswith("**") for text in default_rows.values())
    changed = config_with(**{item.name: non_default(item, spec) for _, item, spec in SETTINGS})
    rows = _rows(settings_table(changed))
    assert set(rows) == set(IDS)
    for _, item, _ in SETTINGS:
        assert rows[item.name].startswith("**"), item.name
    assert rows["lr_scheduler"] == f"**{changed.train.lr_scheduler}**"
    assert rows["text_column"] == "**text_column value**"


def _rows(table: str) -> dict[str, str]:
    lines = table.splitlines()
    assert lines[0] == "| setting | value | meaning |"
    cells = [line.strip("|").split(" | ") for line in lines[2:]]
    assert len({c[0].strip() for c in cells}) == len(cells)  # no setting twice
    return {c[0].strip(): c[1].strip() for c in cells}


# --- types come from the annotations themselves (typing.get_type_hints), not from their text -----------------

Count = int  # an alias: the annotation's text ("Count") does not name the type


@dataclasses.dataclass(kw_only=True)
class Typed:
    word: str = setting(positional=True, help="a required positional")
    old_style: Optional[int] = setting(None, help="h")  # noqa: UP045 (the spelling under test)
    new_style: int | None = setting(None, help="h")
    aliased: Count = setting(3, help="h")
    switch: bool = setting(False, help="h")
    rate: Optional[float] = setting(None, help="h")  # noqa: UP045
    several: list[int] = setting([], repeatable=True, help="h")
    rate_or_word: float | str = setting("auto", help="h")


def test_types_are_read_from_the_annotations_not_their_text() -> None:
    raw = {item.name: item.type for item in dataclasses.fields(Typed)}
    assert raw["old_style"] == "Optional[int]" and raw["aliased"] == "Count"  # text a matcher could not read
    fields = {item.name: item for item, _ in specs(Typed)}
    assert {name: base_type(item) for name, item in fields.items()} == {
        "word": "str", "old_style": "int", "new_style": "int", "aliased": "int", "switch": "bool", "rate": "float",
        "several": "int", "rate_or_word": "float|str"}
    assert {name for name, item in fields.items() if allows_none(item)} == {"old_style", "new_style", "rate"}
    assert {name for name, item in fields.items() if is_list(item)} == {"several"}
    assert [item.type for item in dataclasses.fields(Typed)] == list(raw.values())  # the class is left as it was
    with pytest.raises(TypeError, match="unresolved"):
        base_type(dataclasses.fields(Typed)[1])


def test_typed_declarations_make_typed_flags() -> None:
    parser = Parser(prog="typed")
    add_flags(parser, Typed)
    args = parser.parse_args(["w", "--old-style", "3", "--new-style", "4", "--aliased", "5", "--switch", "--rate",
                              "0.5", "--several", "1", "2", "--several", "3", "--rate-or-word", "model"])
    assert options_from(args, Typed) == Typed(word="w", old_style=3, new_style=4, aliased=5, switch=True, rate=0.5,
                                              several=[1, 2, 3], rate_or_word="model")
    assert options_from(parser.parse_args(["w"]), Typed) == Typed(word="w")
    for flag, text in (("--old-style", "x"), ("--new-style", "2.5"), ("--aliased", "1e400"), ("--rate", "fast")):
        with pytest.raises(ConfigError, match=f"^{flag} must be a"):
            options_from(parser.parse_args(["w", flag, text]), Typed)


def test_a_shared_spec_is_reused_as_declared_or_changed() -> None:
    assert spec_of(TrainSettings, "max_length") is MAX_LENGTH
    inspect = spec_of(InspectOptions, "max_length")
    assert (inspect.minimum, inspect.maximum, inspect.label) == (1, None, MAX_LENGTH.label)
    assert spec_of(DataSettings, "multi_label").choices is MULTI_LABEL_MODES
