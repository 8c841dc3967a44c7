"""core.data.readable: can a model read the data? Unknown tokens and characters, scripts, the threshold, and the
data check (``inspect``) and the CLI saying so, on data in several scripts against tiny tokenizers built here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings
from core.data import inspect_file
from core.data.readable import UNREADABLE_SHARE, readability, script_of
from core.errors import ConfigError
from core.job import create_run
from core.modelref import ModelRef, source_of
from core.models import load_tokenizer
from core.sweep import prepare_sweep
from tests.tiny import make_tiny_model, make_wordpiece_model

ENGLISH = ["the movie was wonderful", "a dull boring film", "i loved every minute", "terrible acting"]
CHINESE = ["这部电影非常好看", "服务态度太差了", "质量不错物流很快", "演员的表演很精彩"]
RUSSIAN = ["фильм был прекрасен", "скучный и глупый фильм", "мне очень понравилось", "ужасная игра актёров"]
ARABIC = ["كان الفيلم رائعا", "فيلم ممل وسخيف", "أحببت كل دقيقة", "تمثيل سيئ جدا"]
LATIN = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An English-only WordPiece model, one whose vocabulary also covers Chinese, Russian and Arabic, and a
    byte-level decoder."""
    every = LATIN + "".join(sorted(set("".join(CHINESE + RUSSIAN + ARABIC)) - {" "}))
    return {
        "english": make_wordpiece_model(tmp_path_factory.mktemp("wp-en"), LATIN, labels=["neg", "pos"]),
        "covering": make_wordpiece_model(tmp_path_factory.mktemp("wp-all"), every, labels=["neg", "pos"]),
        "bytes": make_tiny_model(tmp_path_factory.mktemp("gpt2"), "gpt2", labels=["neg", "pos"]),
    }


def _csv(path: Path, texts: list[str]) -> Path:
    pd.DataFrame({"text": texts * 3, "label": (["pos", "neg"] * len(texts))[:len(texts)] * 3}).to_csv(path, index=False)
    return path


def _measure(folder: Path, texts: list[str]) -> dict:
    return readability(texts, load_tokenizer(source_of(str(folder))), folder.name)


def test_scripts_of_letters() -> None:
    assert [script_of(c) for c in "aÉЖ中ひカ한αא١"] == ["Latin", "Latin", "Cyrillic", "Han", "Hiragana", "Katakana",
                                                        "Hangul", "Greek", "Hebrew", None]
    assert script_of("ب") == "Arabic" and script_of("Ａ") == "Latin" and script_of("7") is None


@pytest.mark.parametrize(("texts", "script"), [(CHINESE, "Han"), (RUSSIAN, "Cyrillic"), (ARABIC, "Arabic")])
def test_a_vocabulary_without_the_script_is_flagged(models: dict[str, Path], texts: list[str], script: str) -> None:
    report = _measure(models["english"], ENGLISH + texts)
    assert report["unreadable"] and not report["byte_level"]
    assert report["unknown_share"] > UNREADABLE_SHARE and report["unknown_char_share"] > UNREADABLE_SHARE
    assert report["unreadable_scripts"] == [script] and set(report["scripts"]) == {"Latin", script}
    assert f"cannot read {script} text" in report["message"] and "byte-level" in report["message"]
    assert _measure(models["english"], ENGLISH)["unknown_share"] == 0.0


def test_a_byte_level_tokenizer_reads_every_script(models: dict[str, Path]) -> None:
    report = _measure(models["bytes"], ENGLISH + CHINESE + RUSSIAN + ARABIC)
    assert report["byte_level"] and not report["unreadable"] and report["message"] is None
    assert report["unknown_tokens"] == 0 and report["unknown_characters"] == 0
    assert set(report["scripts"]) == {"Latin", "Han", "Cyrillic", "Arabic"}


def test_a_vocabulary_covering_the_scripts_is_not_flagged(models: dict[str, Path]) -> None:
    report = _measure(models["covering"], ENGLISH + CHINESE + RUSSIAN + ARABIC)
    assert not report["unreadable"] and report["unknown_share"] == 0.0 and report["unknown_char_share"] == 0.0


def test_chinese_on_the_default_model_is_mostly_unknown() -> None:
    """The real case of issue 22: Chinese reviews on the embedded English MiniLM."""
    report = readability(CHINESE * 20, load_tokenizer(source_of("default")), "MiniLM")
    assert report["unreadable"] and report["unknown_share"] > 0.5 and report["unreadable_scripts"] == ["Han"]


def test_the_data_check_says_so(models: dict[str, Path], tmp_path: Path) -> None:
    path = _csv(tmp_path / "zh.csv", CHINESE + ENGLISH)
    result = inspect_file(path, model=str(models["english"]))
    found = result["health"]["readability"]
    assert found["unreadable"] and found["message"] in result["warnings"]
    clean = inspect_file(path, model=str(models["bytes"]))
    assert not clean["health"]["readability"]["unreadable"]
    assert not any("cannot read" in w for w in clean["warnings"])
    assert "readability" not in inspect_file(path)["health"]  # no model, no measure
    json.dumps(result)


def test_cli_inspect_reports_it(models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "ru.csv", RUSSIAN)
    code = main(["inspect", str(path), "--model", str(models["english"])])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, None) and out["health"]["readability"]["unreadable_scripts"] == ["Cyrillic"]
    assert any("cannot read Cyrillic text" in w for w in out["warnings"])


def _config(model: Path, path: Path, allow: bool = False) -> RunConfig:
    return RunConfig(model=ModelRef.from_admin(str(model)), data=DataSettings(train_file=str(path)),
                     train=TrainSettings(device="cpu", allow_unreadable=allow))


def test_training_unreadable_data_needs_a_confirmation(models: dict[str, Path], tmp_path: Path) -> None:
    path = _csv(tmp_path / "zh.csv", CHINESE + ENGLISH)
    with pytest.raises(ConfigError, match="cannot read Han text.*--allow-unreadable"):
        create_run(_config(models["english"], path), root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # refused before any folder
    run = create_run(_config(models["english"], path, allow=True), root=tmp_path / "runs")
    kept = RunConfig.load(run / "config.json")
    assert kept.train.allow_unreadable and kept.resolved["readability"]["unreadable"]
    assert kept.resolved["readability"]["allowed"] and kept.resolved["readability"]["unreadable_scripts"] == ["Han"]
    for model in ("covering", "bytes"):  # a model that reads the script needs no confirmation
        run = create_run(_config(models[model], path), root=tmp_path / "runs")
        assert not RunConfig.load(run / "config.json").resolved["readability"]["unreadable"]


def test_cli_train_refuses_with_one_error_line(models: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "ar.csv", ARABIC)
    code = main(["train", str(path), "--model", str(models["english"]), "--output", str(tmp_path / "run"),
                 "--device", "cpu"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "cannot read Arabic text" in lines[0] and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_cli_train_with_the_confirmation_trains_and_says_so(models: dict[str, Path], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "ar.csv", ARABIC + ENGLISH)
    code = main(["train", str(path), "--model", str(models["english"]), "--output", str(tmp_path / "run"),
                 "--device", "cpu", "--allow-unreadable", "--max-steps", "1", "--batch-size", "4",
                 "--no-calibration"])
    err = capsys.readouterr().err
    assert code in (0, None), err[-2000:]
    assert any(line.startswith("warning:") and "cannot read Arabic text" in line for line in err.splitlines())
    resolved = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))["resolved"]
    assert resolved["readability"]["allowed"] and (tmp_path / "run" / "model").is_dir()


def test_predicting_text_the_model_cannot_read_warns(models: dict[str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "zh.csv", CHINESE)
    out = tmp_path / "out.csv"
    code = main(["predict", "--model", str(models["english"]), "--data", str(path), "--output", str(out)])
    summary = json.loads(capsys.readouterr().out)
    assert code in (0, None) and summary["readability"]["unreadable"]
    assert summary["warnings"] == [summary["readability"]["message"]] and out.is_file()
    code = main(["predict", "--model", str(models["english"]), CHINESE[0]])
    err = capsys.readouterr().err
    assert code in (0, None) and any(line.startswith("warning:") and "cannot read Han text" in line
                                     for line in err.splitlines())
    main(["predict", "--model", str(models["bytes"]), CHINESE[0]])
    assert "cannot read" not in capsys.readouterr().err


def test_emoji_the_vocabulary_lacks_are_no_unreadable_script() -> None:
    report = readability(["great 😀", "loved it 🎉🎉"], load_tokenizer(source_of("default")), "MiniLM")
    assert report["unknown_share"] > UNREADABLE_SHARE and not report["unreadable"]


def test_a_sweep_on_unreadable_data_needs_the_confirmation_too(models: dict[str, Path], tmp_path: Path) -> None:
    path = _csv(tmp_path / "zh.csv", CHINESE + ENGLISH)
    with pytest.raises(ConfigError, match="cannot read Han text"):
        prepare_sweep(_config(models["english"], path), "learning_rate=1e-4,0.3", trials=2, root=tmp_path / "runs")
    assert prepare_sweep(_config(models["english"], path, allow=True), "learning_rate=1e-4,0.3", trials=2,
                         root=tmp_path / "runs").is_dir()
