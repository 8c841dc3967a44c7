"""The one model reference: client and admin vocabularies, config.json values, names, reach and resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import DataSettings, RunConfig, TrainSettings
from core.errors import ConfigError, ModelError, RunError
from core.modelref import (
    ADMIN,
    DEFAULT_NAME,
    SMOLLM2_NAME,
    ModelRef,
    ModelSource,
    Reach,
    is_run_folder,
    source_of,
)


def make_run(folder: Path, finished: bool = True) -> Path:
    """A run folder as core.runs writes it: config, status and events, and model/ once it finished."""
    folder.mkdir(parents=True)
    for name in ("config.json", "status.json"):
        (folder / name).write_text("{}", encoding="utf-8")
    (folder / "events.jsonl").write_text("", encoding="utf-8")
    if finished:
        (folder / "model").mkdir()
        (folder / "model" / "config.json").write_text("{}", encoding="utf-8")
    return folder


def make_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


@pytest.mark.parametrize("ref", [ModelRef(), ModelRef("smollm2"), ModelRef("hub", "org/name"),
                                 ModelRef("hub", "distilbert-base-uncased"), ModelRef("folder", "/models/my-bert"),
                                 ModelRef("run", "20250101-120000-reviews-minilm")])
def test_client_form_round_trips_for_every_kind(ref: ModelRef) -> None:
    assert ModelRef.parse(ref.format()) == ref
    assert ModelRef.parse(f"  {ref.format()} ") == ref


def test_client_form_reads_the_vocabulary() -> None:
    assert ModelRef.parse(None) == ModelRef.parse("") == ModelRef.parse("default") == ModelRef("default")
    assert ModelRef.parse("smollm2").kind == "smollm2" and ModelRef.parse("smollm2").format() == "smollm2"
    assert ModelRef.parse("hub:org/name") == ModelRef("hub", "org/name")
    assert ModelRef.parse("run:abc").format() == "run:abc"
    # bare text from sessions saved before references had kinds
    assert ModelRef.parse("org/name") == ModelRef("hub", "org/name")
    assert ModelRef.parse("/models/x") == ModelRef("folder", "/models/x")
    assert ModelRef.choice("hub", " org/name ") == ModelRef("hub", "org/name")
    assert ModelRef.choice("run", "") == ModelRef.choice("default", "x") == ModelRef()
    assert ModelRef.choice("smollm2") == ModelRef("smollm2")
    with pytest.raises(ValueError):
        ModelRef("gguf", "x")


@pytest.mark.parametrize("forged", [5, 1.5, ["run:x"], {"kind": "run"}, b"default"])
def test_non_strings_are_not_references(forged: object) -> None:
    with pytest.raises(ModelError, match="is not a model reference"):
        ModelRef.parse(forged)
    assert ModelRef.usable(forged, Reach(Path("/nowhere"))) is None


def test_a_client_reaches_only_runs_inside_the_runs_folder_and_offered_folders(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    run = make_run(root / "run-a")
    offered = make_model(tmp_path / "models" / "bert")
    other = make_model(tmp_path / "other")
    outside = make_run(tmp_path / "elsewhere" / "run-b")
    reach = Reach(root.resolve(), (offered.resolve(),))
    assert ModelRef.parse("run:run-a").located(reach) == ModelRef("run", str(root.resolve() / "run-a"))
    assert ModelRef.parse(f"folder:{offered}").located(reach) == ModelRef("folder", str(offered.resolve()))
    assert ModelRef.parse("run:run-a").resolve(reach).location == str((run / "model").resolve())
    assert ModelRef.parse("run:run-a").run_dir(reach) == root.resolve() / "run-a"
    for forged, error, message in [
        ("run:../x", RunError, "is not a run id"), (f"run:{outside}", RunError, "is not a run id"),
        ("run:..", RunError, "is not a run id"), ("run:nothing-here", RunError, "There is no run 'nothing-here'"),
        ("run:", RunError, "is not a run id"),
        ("folder:/etc", ModelError, "not one this app offers"), (f"folder:{other}", ModelError, "not one this app"),
        (f"folder:{offered}/..", ModelError, "not one this app offers"), (str(other), ModelError, "not one this app"),
        ("hub:../x", ModelError, "not a Hugging Face model id"), ("hub:a/../b", ModelError, "not a Hugging Face"),
        ("hub:/etc", ModelError, "not a Hugging Face model id"), ("hub:a/b/c", ModelError, "not a Hugging Face"),
        ("hub:", ModelError, "not a Hugging Face model id"), ("a b", ModelError, "not a Hugging Face model id"),
    ]:
        with pytest.raises(error, match=message):
            ModelRef.parse(forged).resolve(reach)
        assert ModelRef.usable(forged, reach) is None, forged
    assert ModelRef.usable("hub:org/name", reach) == "hub:org/name"
    assert ModelRef.usable("run:run-a", reach) == "run:run-a" and ModelRef.usable(None, reach) is None
    with pytest.raises(RunError, match="There is no run"):
        ModelRef("run", "run-a").located(Reach())  # a client reach without a runs folder reaches no run


def test_admin_paths_become_runs_or_folders(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    run = make_run(root / "run-a")
    unfinished = make_run(root / "run-b", finished=False)
    outside = make_run(tmp_path / "elsewhere" / "run-c")
    folder = make_model(tmp_path / "models" / "bert")
    # the CLI and config.json: kept as written
    assert ModelRef.from_admin(str(run)) == ModelRef("run", str(run))
    assert ModelRef.from_admin(str(unfinished)).kind == "run" and ModelRef.from_admin(str(folder)).kind == "folder"
    assert ModelRef.from_admin(run) == ModelRef("run", str(run))  # a Path
    assert ModelRef.from_admin(str(tmp_path / "no" / "such")).kind == "folder"
    assert ModelRef.from_admin("org/name") == ModelRef("hub", "org/name")
    # the app (--model, --demo): a run inside the runs folder is its id; any other folder, its absolute path
    assert ModelRef.from_admin(str(run), runs=root).format() == "run:run-a"
    assert ModelRef.from_admin("run-a", runs=root).format() == "run:run-a"
    assert ModelRef.from_admin(str(outside), runs=root) == ModelRef("folder", str(outside.resolve()))
    assert ModelRef.from_admin(str(folder), runs=root) == ModelRef("folder", str(folder.resolve()))
    assert ModelRef.from_admin("org/name", runs=root) == ModelRef("hub", "org/name")
    assert ModelRef.from_admin(None, runs=root) == ModelRef()
    assert is_run_folder(run) and is_run_folder(unfinished) and not is_run_folder(folder)
    # what the admin's path resolves to
    assert source_of(str(run)).kind == "run" and source_of(str(outside)).run_dir == outside.resolve()
    assert source_of(str(folder)) == ModelSource("folder", str(folder.resolve()), str(folder))
    with pytest.raises(ModelError, match="no saved model yet"):
        source_of(str(unfinished))
    with pytest.raises(ModelError, match="does not exist"):
        source_of(str(tmp_path / "no" / "such"))


@pytest.mark.parametrize("text, kind", [("default", "default"), ("DEFAULT", "default"), ("minilm", "default"),
                                        ("smollm2", "smollm2"), ("SmolLM2", "smollm2"), ("org/name", "hub"),
                                        ("distilbert-base-uncased", "hub"), ("some model", "hub"),
                                        ("/models/my-bert/", "folder"), ("./runs/a/b", "folder")])
def test_config_values_are_read_and_written_back(text: str, kind: str) -> None:
    ref = ModelRef.from_admin(text)
    assert ref.kind == kind
    if kind not in ("default", "smollm2"):
        assert str(ref) == text and ModelRef.from_admin(str(ref)) == ref
    else:
        assert str(ref) == kind


@pytest.mark.parametrize("blank", ["", "   ", 5])
def test_no_model_is_a_clear_error(blank: object) -> None:
    with pytest.raises(ConfigError, match="No model chosen"):
        ModelRef.from_admin(blank)  # type: ignore[arg-type]


def test_old_config_json_loads_and_saves_unchanged(tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs" / "base-run")
    for model in ("default", "distilbert/distilbert-base-uncased", str(run), str(run / "model"), "smollm2",
                  "runs/base-run", "/gone/model/folder"):
        raw = {"data": {"train_file": "data.csv"}, "train": {}, "model": model, "labels": ["a", "b"]}
        config = RunConfig.from_dict(raw)
        assert isinstance(config.model, ModelRef)
        assert config.to_dict()["model"] == model
        path = tmp_path / "config.json"
        config.save(path)
        assert json.loads(path.read_text())["model"] == model and RunConfig.load(path).model == config.model
    assert RunConfig.from_dict({"data": {"train_file": "d.csv"}, "train": {}, "model": str(run)}).model.kind == "run"
    assert RunConfig(data=DataSettings(train_file="d.csv")).model == ModelRef()


def test_names_for_people() -> None:
    assert ModelRef().name == DEFAULT_NAME and ModelRef("smollm2").name == SMOLLM2_NAME
    assert ModelRef.parse("hub:org/name").name == "Hugging Face model org/name"
    assert ModelRef.parse("folder:/models/x").name == "model folder /models/x"
    assert ModelRef.parse("run:abc").name == "run abc"
    assert ModelRef.from_admin("/somewhere/runs/abc/").name == "model folder /somewhere/runs/abc/"
    assert ModelRef("run", "/somewhere/runs/abc").name == "run abc"
    assert ModelRef.from_admin("default").list_name == DEFAULT_NAME
    assert ModelRef.from_admin("org/name").list_name == "org/name"
    assert ModelRef.from_admin("/models/my-bert/").list_name == "my-bert"


def test_lora_by_default_for_the_embedded_decoder_only(tmp_path: Path) -> None:
    assert ModelRef("smollm2").lora_by_default and ModelRef.from_admin("SmolLM2").lora_by_default
    assert not any(ref.lora_by_default for ref in (ModelRef(), ModelRef("hub", "org/smollm2"),
                                                   ModelRef("folder", "/models/smollm2")))
    for model, lora in (("smollm2", True), ("default", False), ("HuggingFaceTB/SmolLM2-135M", False)):
        config = RunConfig(data=DataSettings(train_file="d.csv"), train=TrainSettings(), model=model)
        config.apply_model_defaults()
        assert config.train.lora is lora, model
    kept = RunConfig(data=DataSettings(train_file="d.csv"), train=TrainSettings(lora=True), model="default")
    kept.apply_model_defaults()
    assert kept.train.lora  # a LoRA choice is never taken back


def test_admin_reach_is_everything_and_sources_pass_through(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m")
    source = ModelSource("folder", str(folder), "m")
    assert source_of(source) is source
    assert ModelRef("folder", str(folder)).located(ADMIN) == ModelRef("folder", str(folder))
    assert ModelRef("hub", "anything at all").located(ADMIN).value == "anything at all"
    assert source_of(None).kind == "default" and source_of("").kind == "default"
