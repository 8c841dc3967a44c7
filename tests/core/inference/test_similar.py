"""Similar training examples: the index written at the end of training, the nearest neighbour of a training
text is itself, old runs without an index get one sentence and can build it; a trained run's model gives
the same labels through ``transformers.pipeline`` as through ``predict_texts``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import job, runs
from core.cli import main
from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError, DataError, ModelError, RunError
from core.inference import load_for_inference, predict_texts
from core.inference.similar import build_index, index_folder, load_index, similar_examples

GOOD = ["great film", "loved it", "wonderful acting", "a joy to watch", "brilliant and moving", "superb story",
        "delightful", "really enjoyable", "fantastic cast", "heartwarming", "a triumph of a movie", "pure magic"]
BAD = ["awful film", "hated it", "terrible acting", "a chore to watch", "dull and lifeless", "weak story",
       "boring", "really tedious", "dreadful cast", "painful", "a mess of a movie", "utter nonsense"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_models: Any) -> Iterator[Path]:
    """A tiny run trained to the end (its index written by the training child's last step)."""
    from core.job import run_training

    folder = tmp_path_factory.mktemp("similar")
    rows = [f"{t},positive" for t in GOOD] + [f"{t},negative" for t in BAD]
    data = folder / "reviews.csv"
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = RunConfig(data=DataSettings(train_file=str(data), val_fraction=0.25), model=str(tiny_models("bert")),
                       train=TrainSettings(max_steps=60, batch_size=6, learning_rate=5e-3, eval_steps=30,
                                           freeze_embeddings=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNESCOPE_CACHE", str(folder / "cache"))
        run_dir = job.create_run(config, run_dir=folder / "run")
        run_training(run_dir)
    yield run_dir


@pytest.fixture(scope="module")
def indexed(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the run whose model is a wide random one (its texts' embeddings are far apart, where the tiny
    trained model maps every text of a class to nearly one point), indexed with ``build_index``."""
    from tests.core.inference.test_predict import sharp_model

    run_dir = Path(shutil.copytree(trained, tmp_path_factory.mktemp("indexed") / "run",
                                   ignore=shutil.ignore_patterns("checkpoints", "index")))
    shutil.rmtree(run_dir / "model")
    sharp_model(run_dir / "model")
    build_index(run_dir)
    return run_dir


def test_the_index_is_written_at_the_end_of_training(trained: Path) -> None:
    folder = index_folder(trained)
    assert sorted(p.name for p in folder.iterdir()) == ["embeddings.npy", "meta.json", "rows.jsonl"]
    assert not folder.with_name("index.partial").exists()
    vectors = np.load(folder / "embeddings.npy")
    rows = [json.loads(line) for line in (folder / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    train_rows = runs.load_config(trained).resolved["train_rows"]
    assert vectors.dtype == np.float16 and vectors.shape == (train_rows, 32) == (len(rows), 32)
    np.testing.assert_allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1, atol=2e-3)
    assert {r["label"] for r in rows} == {"positive", "negative"} and set(r["text"] for r in rows) <= set(GOOD + BAD)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["rows"] == meta["training_rows"] == train_rows and meta["pooling"] == "mean"


def test_the_nearest_training_example_of_a_training_text_is_itself(indexed: Path) -> None:
    loaded = load_for_inference(str(indexed))
    _, rows, _ = load_index(indexed)
    for row in rows:
        found = similar_examples(loaded, indexed, row["text"], k=3)
        assert found[0]["text"] == row["text"] and found[0]["label"] == row["label"]
        assert found[0]["similarity"] == pytest.approx(1, abs=2e-3)
        assert [f["similarity"] for f in found] == sorted((f["similarity"] for f in found), reverse=True)
    assert len(similar_examples(loaded, indexed, "an unseen text", k=1000)) == len(rows)


def test_pipeline_agrees_with_predict_texts_on_a_trained_run(trained: Path) -> None:
    from transformers import pipeline

    texts = GOOD + BAD + ["a film", "not great , not awful", ""]
    ours = [r["label"] for r in predict_texts(load_for_inference(str(trained)), texts)]
    theirs = pipeline("text-classification", model=str(trained / "model"), top_k=None)(texts)
    assert ours == [max(r, key=lambda s: s["score"])["label"] for r in theirs]
    assert len(set(ours)) == 2  # the run learned something: both labels are predicted


def test_cli_adds_similar_examples_to_each_text(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = [row["text"] for row in load_index(indexed)[1][:2]]  # two training texts
    assert main(["predict", "--model", str(indexed), "--similar", "2", *texts]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["similar"][0]["text"] for r in results] == texts
    assert all(len(r["similar"]) == 2 and set(r["similar"][0]) == {"text", "label", "similarity"} for r in results)


@pytest.mark.parametrize(("argv", "message"), [
    (["--similar", "0", "text"], "--similar must be at least 1 (got 0)"),
    (["--similar", "2", "--data", "x.csv", "--output", "o.csv"], "--similar goes with texts"),
    (["--label-column", "label", "text"], "--label-column goes with --data FILE"),
])
def test_cli_refuses_bad_similar_requests(trained: Path, argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--model", str(trained), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_an_old_run_without_an_index_says_how_to_build_one(indexed: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    old = Path(shutil.copytree(indexed, tmp_path / "old-run", ignore=shutil.ignore_patterns("checkpoints")))
    shutil.rmtree(index_folder(old))
    loaded = load_for_inference(str(old))
    assert predict_texts(loaded, ["great film"])  # the run works as before without it
    with pytest.raises(RunError, match=r"Run old-run has no similar-examples index .* `python -m core index "):
        similar_examples(loaded, old, "great film")
    assert main(["predict", "--model", str(old), "--similar", "1", "great film"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Run old-run has no similar-examples index") and err.count("\n") == 1
    assert main(["index", str(old)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] == runs.load_config(old).resolved["train_rows"]
    assert "similar-examples index: " in captured.err
    first = load_index(old)[1][0]["text"]
    assert similar_examples(loaded, old, first, k=1)[0]["text"] == first


def test_build_index_bounds_the_rows(indexed: Path, tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(indexed, tmp_path / "run", ignore=shutil.ignore_patterns("checkpoints")))
    meta = build_index(run_dir, max_rows=5)
    _, rows, _ = load_index(run_dir)
    assert meta["rows"] == len(rows) == 5 and meta["training_rows"] == runs.load_config(run_dir).resolved["train_rows"]


def test_bad_queries_are_refused(indexed: Path, tmp_path: Path, tiny_models: Any) -> None:
    loaded = load_for_inference(str(indexed))
    with pytest.raises(ConfigError, match="at least 1"):
        similar_examples(loaded, indexed, "great film", k=0)
    with pytest.raises(DataError, match="empty"):
        similar_examples(loaded, indexed, "  ")
    with pytest.raises(ModelError, match="need that run's own model"):
        similar_examples(load_for_inference(str(tiny_models("bert"))), indexed, "great film")
    broken = Path(shutil.copytree(indexed, tmp_path / "broken", ignore=shutil.ignore_patterns("checkpoints")))
    with open(index_folder(broken) / "rows.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"text": "one row too many", "label": "positive"}\n')
    with pytest.raises(RunError, match="damaged"):
        similar_examples(load_for_inference(str(broken)), broken, "great film")


def test_a_stopped_run_gets_no_index_and_loses_an_older_one(trained: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from core.job.outputs import write_index

    run_dir = Path(shutil.copytree(trained, tmp_path / "stopped", ignore=shutil.ignore_patterns("checkpoints")))
    runs.RunPaths(run_dir).stop_flag.write_text("")  # a stop asked for while the model was being saved
    write_index(run_dir, None)
    assert not index_folder(run_dir).exists()
    assert "no similar-examples index" in capsys.readouterr().err


def test_pair_tasks_index_and_query_both_texts(indexed: Path, tmp_path: Path) -> None:
    import pandas as pd

    from core.data import LABEL, TEXT, TEXT_PAIR

    run_dir = Path(shutil.copytree(indexed, tmp_path / "pairs", ignore=shutil.ignore_patterns("checkpoints", "index")))
    frame = pd.DataFrame({TEXT: ["same premise"] * 3, TEXT_PAIR: ["it rains", "the sun shines", "a cat sleeps"],
                          LABEL: ["positive", "negative", "positive"]})
    build_index(run_dir, frame)
    loaded = load_for_inference(str(run_dir))
    for pair in frame[TEXT_PAIR]:
        found = similar_examples(loaded, run_dir, "same premise", pair, k=1)[0]
        assert (found["text"], found["text_pair"]) == ("same premise", pair)


@pytest.mark.parametrize(("argv", "message"), [
    (["{tmp}"], "is not a TuneScope run folder"),
    (["{run}", "--max-rows", "0"], "--max-rows must be at least 1 (got 0)"),
])
def test_cli_index_refuses_bad_input(indexed: Path, tmp_path: Path, argv: list[str], message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", *(a.format(tmp=tmp_path, run=indexed) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
