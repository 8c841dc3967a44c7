"""The headless CLI: JSON on stdout, one ``error:`` line and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
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
