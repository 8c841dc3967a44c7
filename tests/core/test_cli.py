"""The headless CLI: JSON on stdout, one ``error:`` line and exit code 2 on bad input."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.cli.flags import flag_of, options_from, values_from
from core.cli.options import EvaluateOptions, InspectOptions, PredictOptions
from core.cli.parser import COMMAND_TABLE, OPTIONS, build_parser
from core.cli.run_options import RunsOptions
from core.config import (
    DEFAULT_MAX_LENGTH,
    MAX_LENGTH,
    MULTI_LABEL_MODES,
    PRECISIONS,
    DataSettings,
    TrainSettings,
)
from core.settings import base_type, default_of, has_default, is_list, spec_of, specs
from tests.tiny import make_tiny_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def labelled_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("clf"), "bert", labels=["negative", "positive"])


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.out), captured.err


def test_predict_texts_returns_label_names_and_scores(capsys, labelled_model: Path) -> None:
    code, out, _ = run_cli(capsys, "predict", "--model", str(labelled_model), "great film", "awful film")
    assert code == 0
    assert [r["text"] for r in out] == ["great film", "awful film"]
    for row in out:
        assert set(row["scores"]) == {"negative", "positive"}
        assert abs(sum(row["scores"].values()) - 1) < 1e-5
        assert row["label"] == max(row["scores"], key=row["scores"].get)


def test_predict_file_writes_one_row_per_input_row(capsys, labelled_model: Path, sentiment_csv: Path,
                                                   tmp_path: Path) -> None:
    import pandas as pd

    out_csv = tmp_path / "out.csv"
    code, out, _ = run_cli(capsys, "predict", "--model", str(labelled_model), "--data", str(sentiment_csv),
                           "--output", str(out_csv))
    assert code == 0
    source = pd.read_csv(sentiment_csv)
    written = pd.read_csv(out_csv)
    assert len(written) == len(source) == out["rows"]
    assert list(written["review"]) == list(source["review"])  # order kept
    assert {"predicted_label", "p_negative", "p_positive"} <= set(written.columns)


def test_evaluate_reports_metrics_and_confusion(capsys, labelled_model: Path, sentiment_csv: Path) -> None:
    code, out, _ = run_cli(capsys, "evaluate", "--model", str(labelled_model), str(sentiment_csv))
    assert code == 0
    assert set(out) >= {"accuracy", "f1_macro", "per_class", "confusion_matrix", "labels"}
    assert out["labels"] == ["negative", "positive"]
    assert sum(map(sum, out["confusion_matrix"])) == 40


def test_evaluate_with_unknown_labels_is_a_clear_error(capsys, labelled_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "other.csv"
    data.write_text("text,label\n" + "\n".join(f"text number {i},{'x' if i % 2 else 'y'}" for i in range(10)))
    code, out, err = run_cli(capsys, "evaluate", "--model", str(labelled_model), str(data))
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "does not know" in err


def test_attention_json_has_layers_heads_tokens(capsys, labelled_model: Path) -> None:
    code, out, _ = run_cli(capsys, "attention", "--model", str(labelled_model), "a fine day")
    assert code == 0
    attentions = out["attentions"]
    assert len(attentions) == 2 and len(attentions[0]) == 4
    size = len(out["tokens"])
    assert len(attentions[0][0]) == size and len(attentions[0][0][0]) == size


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["inspect", "missing.csv"], "does not exist"),
        (["predict", "--model", "/no/such/folder/at/all", "hi"], "does not exist"),
        (["predict", "--model", "default"], "Give texts"),
        (["train", "--epochs", "2"], "needs a labelled data file"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_error_line_with_exit_code_2(capsys, args: list[str], fragment: str) -> None:
    with pytest.raises(SystemExit) if args == ["nonsense"] else _no_exit() as info:
        code = main(args)
    code = info.value.code if args == ["nonsense"] else code
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and fragment in lines[0]
    assert "Traceback" not in err


class _no_exit:
    def __enter__(self) -> _no_exit:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False


def test_cli_runs_as_a_module_with_json_on_stdout(sentiment_csv: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "core", "inspect", str(sentiment_csv)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["text_column"] == "review" and report["label_column"] == "sentiment"
    assert report["labels"] == {"negative": 20, "positive": 20}


@pytest.mark.parametrize("command", ["stop", "resume", "retry"])
@pytest.mark.parametrize(("kind", "fragment"), [("empty folder", "is not a TuneScope run folder (no config.json)"),
                                                ("model folder", "is a model or data folder, not a run folder"),
                                                ("missing", "does not exist")])
def test_run_commands_on_a_folder_that_is_not_a_run(command: str, kind: str, fragment: str, labelled_model: Path,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = {"empty folder": tmp_path, "model folder": labelled_model, "missing": tmp_path / "nope"}[kind]
    before = sorted(p.name for p in labelled_model.iterdir())
    assert main([command, str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: {folder} ") and fragment in captured.err
    assert sorted(p.name for p in labelled_model.iterdir()) == before  # nothing written into a model folder


# --- every command's arguments come from declarations ------------------------------------------------------

RUN_SETTINGS = (DataSettings, TrainSettings)
COMMANDS_SURFACE = {  # the CLI as it was before its flags were declared: (positionals, own flags)
    "inspect": (["data"], ["--label-column", "--max-length", "--model", "--multi-label", "--text-column",
                           "--text-pair-column", "--val-data"]),
    "dedupe": (["data"], ["--conflicting", "--label-column", "--multi-label", "--output", "--text-column",
                          "--text-pair-column"]),
    "train": (["data"], ["--allow-pickle", "--model", "--output", "--resume", "--run-dir"]),
    "predict": (["texts"], ["--allow-pickle", "--data", "--label-column", "--model", "--no-escape-formulas",
                            "--output", "--similar", "--text-column", "--text-pair-column"]),
    "index": (["run_dir"], ["--allow-pickle", "--max-rows"]),
    "evaluate": (["data"], ["--allow-pickle", "--label-column", "--misclassified", "--model", "--output",
                            "--precision", "--run", "--text-column", "--text-pair-column", "--threshold"]),
    "describe": ([], ["--allow-pickle", "--model"]),
    "attention": (["text"], ["--allow-pickle", "--attributions", "--export-html", "--export-png", "--head",
                             "--head-importance", "--head-stats", "--layer", "--max-length", "--model", "--output",
                             "--precision", "--rollout", "--target-label", "--text-pair", "--view"]),
    "fill": (["model", "text"], ["--allow-pickle", "--top"]),
    "resume": (["run_dir"], ["--allow-pickle"]),
    "retry": (["run_dir"], ["--allow-pickle"]),
    "runs": (["action", "targets"], ["--add", "--remove", "--root", "--yes"]),
    "stop": (["run_dir"], []),
    "report": (["run_dir"], ["--allow-pickle", "--output"]),
    "export": (["run_dir"], ["--allow-pickle", "--format", "--output"]),
    "sweep": (["data"], ["--model", "--root", "--space", "--storage", "--study", "--sweep-dir", "--timeout",
                         "--trials"]),
    "sweeps": (["action", "sweep_id"], ["--root"]),
    "suspects": (["run"], ["--allow-pickle", "--drop", "--drop-top", "--out", "--relabel", "--relabel-top",
                           "--retrain", "--root", "--source", "--top"]),
    "next": (["run", "pool"], ["--allow-pickle", "--batch", "--method", "--no-diversity", "--output", "--root", "--seed",
                               "--text-column"]),
    "compress": (["run"], ["--allow-pickle", "--epochs", "--layers", "--method", "--no-measure", "--root"]),
    "compare": (["data"], ["--allow-pickle", "--candidates", "--root"]),
    "comparisons": (["comparison"], ["--root"]),
}


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def run_setting_flags() -> list[str]:
    return sorted(flag_of(item, spec) for cls in RUN_SETTINGS for item, spec in specs(cls) if item.name != "train_file")


def test_every_command_keeps_its_arguments() -> None:
    parsers = subparsers()
    assert [command.name for command in COMMAND_TABLE] == list(parsers) == list(COMMANDS_SURFACE)
    for command in COMMAND_TABLE:
        actions = [a for a in parsers[command.name]._actions if a.dest != "help"]
        positionals, flags = COMMANDS_SURFACE[command.name]
        assert [a.dest for a in actions if not a.option_strings] == positionals, command.name
        extra = run_setting_flags() if command.run_settings else []
        assert sorted(f for a in actions for f in a.option_strings) == sorted(flags + extra), command.name


def test_every_argument_is_a_declared_field_with_its_flag_help_and_choices() -> None:
    parsers = subparsers()
    for command in COMMAND_TABLE:
        declared = {item.name: (item, spec) for cls in (command.options, *RUN_SETTINGS * command.run_settings)
                    for item, spec in specs(cls)}
        for action in parsers[command.name]._actions:
            if action.dest == "help":
                continue
            item, spec = declared[action.dest]
            assert action.option_strings == ([] if spec.positional else [flag_of(item, spec)])
            assert action.help is None or action.help.startswith(spec.help), (command.name, action.dest)
            if spec.choices and base_type(item) == "str":
                assert tuple(action.choices) == tuple(spec.choices)
        names = [item.name for cls in (command.options, *RUN_SETTINGS * command.run_settings)
                 for item, _ in specs(cls) if item.name != "train_file"]
        assert len(names) == len(set(names)), f"{command.name} declares a name twice"


def test_no_argument_is_added_outside_the_generic_helper() -> None:
    """Only ``core.cli.flags`` calls ``add_argument``; only ``parser`` builds (sub)parsers and groups."""
    allowed = {"add_argument": {"flags.py"}, "add_parser": {"parser.py"}, "add_subparsers": {"parser.py"},
               "add_mutually_exclusive_group": {"parser.py"}, "add_argument_group": set()}
    for path in sorted((ROOT / "core" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in allowed:
                assert path.name in allowed[node.func.attr], f"{path.name}:{node.lineno} calls {node.func.attr}"


def test_shared_choices_and_bounds_are_declared_once() -> None:
    assert spec_of(InspectOptions, "multi_label").choices is MULTI_LABEL_MODES is spec_of(DataSettings, "multi_label").choices
    assert spec_of(EvaluateOptions, "precision").choices is PRECISIONS is spec_of(TrainSettings, "precision").choices
    assert spec_of(TrainSettings, "max_length") is MAX_LENGTH and (MAX_LENGTH.minimum, MAX_LENGTH.maximum) == (8, 8192)
    assert default_of(dict((i.name, i) for i, _ in specs(InspectOptions))["max_length"]) == DEFAULT_MAX_LENGTH == \
        TrainSettings().max_length
    for cls in (InspectOptions, PredictOptions, EvaluateOptions):
        for name in ("text_column", "label_column", "text_pair_column"):
            assert spec_of(cls, name).label == spec_of(DataSettings, name).label


def option_value(item: dataclasses.Field, spec: Any) -> Any:
    """A valid value different from the declared default, derived from the declaration."""
    kind, default = base_type(item), default_of(item) if has_default(item) else None
    if is_list(item):
        return [1, 2] if kind == "int" else ["one value", "two"]
    if kind == "bool":
        return not default
    if kind == "str":
        return next(c for c in spec.choices if c != default) if spec.choices else "some value"
    low = spec.minimum if spec.minimum is not None else 0
    value = int(low) + 3 if kind == "int" else low + 0.123456789
    return value + 1 if value == default else value


def argv_for(command: Any, tested: str, value: Any) -> list[str]:
    """The command line giving ``tested`` ``value`` (the required arguments given too, positionals in order)."""
    words: list[str] = [command.name]
    fields = list(specs(command.options))
    last = max((i for i, (item, spec) in enumerate(fields) if spec.positional and (item.name == tested
                                                                                    or not has_default(item))),
               default=-1)
    for index, (item, spec) in enumerate(fields):
        if item.name == tested:
            given = value if isinstance(value, list) else [] if isinstance(value, bool) else [value]
            words += ([] if spec.positional else [flag_of(item, spec)]) + [str(v) for v in given]
        elif spec.positional and index <= last:
            words += [str(default_of(item)) if has_default(item) and not is_list(item) else "x"]
    if command.one_of and tested not in command.one_of:
        words += ["--" + command.one_of[0], "m"]
    return words


COMMAND_FIELDS = [pytest.param(command, item, spec, id=f"{command.name}.{item.name}")
                  for command in COMMAND_TABLE for item, spec in specs(command.options)]


@pytest.mark.parametrize("command, item, spec", COMMAND_FIELDS)
def test_each_option_round_trips_from_its_flag_to_its_declared_type(command: Any, item: dataclasses.Field,
                                                                     spec: Any) -> None:
    value = option_value(item, spec)
    args = build_parser().parse_args(argv_for(command, item.name, value))
    assert args.command == command.name
    options = options_from(args, OPTIONS[command.name])
    assert getattr(options, item.name) == value and type(getattr(options, item.name)) is type(value)
    for other, _ in specs(command.options):  # everything else keeps its declared default
        if other.name != item.name and has_default(other) and other.name not in command.one_of:
            assert getattr(options, other.name) == default_of(other), other.name


@pytest.mark.parametrize("argv, message", [
    (["index", "r", "--max-rows", "abc"], "--max-rows must be a whole number"),
    (["attention", "t", "--layer", "0", "x"], "--layer must be a whole number"),
    (["evaluate", "d", "--model", "m", "--threshold", "high"], "--threshold must be a number"),
    (["inspect", "d", "--max-length", "0"], "--max-length must be at least 1 (got 0)."),
    (["suspects", "r", "--drop", "3", "--drop", "two"], "--drop must be a whole number"),
])
def test_option_values_are_checked_against_their_declaration(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                             message: str) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and captured.err.startswith(f"error: {message}")


def test_omitted_options_take_their_declared_defaults() -> None:
    args = build_parser().parse_args(["runs"])
    assert options_from(args, OPTIONS["runs"]) == RunsOptions()
    args = build_parser().parse_args(["attention", "a text"])
    options = options_from(args, OPTIONS["attention"])
    assert (options.max_length, options.view, options.model, options.layer) == (512, "grid", "default", None)
    assert values_from(build_parser().parse_args(["describe"]), OPTIONS["describe"]) == {"allow_pickle": False}


def test_chinese_text_in_an_answer_is_printed_as_itself_where_the_output_can_carry_it() -> None:
    from core.cli import readable_json

    answer = {"label": "正面", "text": "这部电影很好看"}
    assert '"正面"' in readable_json(answer, "utf-8") and json.loads(readable_json(answer, "utf-8")) == answer
    legacy = readable_json(answer, "ascii")  # a console that cannot show it gets escapes, never a crash
    assert "\\u6b63" in legacy and json.loads(legacy) == answer
    assert json.loads(readable_json({"t": "\ud800"}, "utf-8")) == {"t": "\ud800"}  # a lone surrogate: escaped
