"""Creating run folders: ids stay unique when many runs start in the same second, and the owner comes first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core import runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.job import create_run
from core.job.create import fresh_folder
from core.modelref import ModelRef


def test_fresh_folders_never_collide(tmp_path: Path) -> None:
    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(lambda _: fresh_folder(tmp_path / "runs", "20260101-120000-data-minilm"), range(40)))
    assert len({folder.name for folder in made}) == 40 and all(folder.is_dir() for folder in made)
    assert made[0].parent == tmp_path / "runs" and all(runs.folder.RUN_ID.match(f.name) for f in made)


def test_concurrent_starts_of_one_config_get_distinct_runs(tmp_path: Path, sentiment_csv: Path, tiny_models) -> None:
    def config() -> RunConfig:
        return RunConfig(model=ModelRef.from_admin(str(tiny_models("bert"))), data=DataSettings(train_file=str(sentiment_csv)),
                         train=TrainSettings(max_steps=2, device="cpu", precision="fp32"))

    folders = [create_run(config(), root=tmp_path / "runs", owner="user0")]  # imports transformers once, first
    with ThreadPoolExecutor(8) as pool:
        folders += pool.map(lambda i: create_run(config(), root=tmp_path / "runs", owner=f"user{i % 2}"), range(1, 12))
    assert len({folder.name for folder in folders}) == 12
    for i, folder in enumerate(folders):
        assert runs.read_status(folder)["state"] == "created"
        assert runs.read_sharing(folder) == {"owner": f"user{i % 2}", "shared": False}
        assert runs.read_meta(folder)["name"] == folder.name
