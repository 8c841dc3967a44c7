"""Model discovery and loading: default, folders, runs, hub ids offline, devices, descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.devices import pick_device, pick_precision
from core.errors import ModelError
from core.modelref import ModelSource, default_model_path, source_of
from core.models import describe_model, load_classifier, load_tokenizer
from tests.tiny import FAMILIES


def test_default_model_is_the_embedded_minilm() -> None:
    path = default_model_path()
    config = json.loads((path / "config.json").read_text())
    assert config["num_hidden_layers"] == 6 and config["num_attention_heads"] == 12
    assert source_of("default").kind == "default"


def test_folder_and_run_sources(tmp_path: Path, tiny_models) -> None:
    folder = tiny_models("bert")
    assert source_of(str(folder)).kind == "folder"
    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    (run / "model" / "config.json").write_text("{}")
    source = source_of(str(run))
    assert source.kind == "run" and source.location.endswith("model")


def test_unfinished_run_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "events.jsonl").write_text("")
    with pytest.raises(ModelError, match="no saved model yet"):
        source_of(str(tmp_path))


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        source_of(str(tmp_path / "nope" / "deeper"))


def test_uncached_hub_id_offline_gives_friendly_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelError) as info:
        load_tokenizer(source_of("someone/not-a-cached-model"))
    message = str(info.value)
    assert "someone/not-a-cached-model" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_loads_with_labels_and_pad_token(family: str, tiny_models) -> None:
    source = source_of(str(tiny_models(family)))
    tokenizer = load_tokenizer(source)
    assert tokenizer.pad_token is not None
    model = load_classifier(source, ["neg", "pos", "mixed"], tokenizer=tokenizer, attn_implementation="eager")
    info = describe_model(model, source)
    assert info["labels"] == ["neg", "pos", "mixed"]
    assert info["layers"] == 2 and info["heads"] == 4
    assert model.config.pad_token_id is not None


def test_device_and_precision_choices() -> None:
    assert pick_device("cpu") == "cpu"
    assert pick_precision("cpu", "fp32") == "fp32"
    assert pick_precision("cpu") in ("bf16", "fp32")
    assert pick_precision("mps") == "fp32"


@pytest.mark.parametrize("family", FAMILIES)
def test_dropout_override_reaches_every_layer_but_not_the_saved_config(family: str, tiny_models,
                                                                       tmp_path: Path) -> None:
    import torch

    source = source_of(str(tiny_models(family)))
    tokenizer = load_tokenizer(source)
    batch = tokenizer(["the movie was wonderful", "a dull film"], padding=True, return_tensors="pt")
    model = load_classifier(source, ["neg", "pos"], tokenizer=tokenizer, dropout=0.0, attn_implementation="eager")
    model.train()  # train mode: any dropout left anywhere would make two passes differ
    assert torch.equal(model(**batch).logits, model(**batch).logits)
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    original = json.loads((Path(source.location) / "config.json").read_text())
    rates = {k: v for k, v in original.items() if ("dropout" in k or "pdrop" in k) and isinstance(v, float)}
    assert rates and all(saved[k] == v for k, v in rates.items())
    kept = load_classifier(source, ["neg", "pos"], tokenizer=tokenizer)
    kept.train()
    torch.manual_seed(0)
    first = kept(**batch).logits
    assert not torch.equal(first, kept(**batch).logits)  # without the override the model's dropout is on


def test_weight_files_decide_what_loads(tmp_path: Path, tiny_models, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    from core.models import check_weights
    from tests.core.job.test_preflight import pickle_only

    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "0")
    check_weights(source_of("default"))  # safetensors: fine
    pickled = pickle_only(tmp_path / "pickled", tiny_models("bert"))
    with pytest.raises(ModelError, match="only pickle weights"):
        check_weights(source_of(str(pickled)))
    (pickled / "model.safetensors").write_bytes((tiny_models("bert") / "model.safetensors").read_bytes())
    check_weights(source_of(str(pickled)))  # both: transformers reads the safetensors file
    # a hub id is judged by what the local cache holds
    repo = tmp_path / "hub" / "models--someone--pickled"
    pickle_only(repo / "snapshots" / ("0" * 40), tiny_models("bert"))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    hub = ModelSource("hub", "someone/pickled", "someone/pickled")
    with pytest.raises(ModelError, match="^someone/pickled has only pickle weights"):
        check_weights(hub)
    monkeypatch.setenv("TUNESCOPE_ALLOW_PICKLE", "1")
    check_weights(hub)
    check_weights(ModelSource("hub", "someone/not-cached", "someone/not-cached"))  # left to the download


def test_fp16_is_refused_on_the_cpu_only() -> None:
    with pytest.raises(ModelError, match="fp16 was requested but training on the CPU"):
        pick_precision("cpu", "fp16")
    assert pick_precision("cuda", "fp16") == "fp16"


@pytest.mark.parametrize(("native", "expected"), [(True, "bf16"), (False, "fp16")])
def test_auto_precision_on_a_gpu_asks_for_native_bf16(native: bool, expected: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A GPU older than Ampere emulates bf16 (torch's default answer counts emulation): auto picks fp16 there."""
    import torch

    asked: list[bool] = []

    def supported(including_emulation: bool = True) -> bool:
        asked.append(including_emulation)
        return native or including_emulation

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
    assert pick_precision("cuda") == expected
    assert asked == [False]
