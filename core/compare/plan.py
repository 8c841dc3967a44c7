"""A comparison's candidates and budget, and its runs: each candidate is a normal run of the same data.

A candidate is written ``MODEL@RECIPE`` (``default@setfit``, ``run:<id>@lora``, ``hub:org/name``; the recipe is
``finetune`` when left out), where MODEL is a model reference (``core.modelref``). The budget is the same for
every candidate: a number of epochs, or minutes (the run's ``time_budget``, its length ``auto``). Every run is
created before any starts (``core.job.create_run``: the data and each model are checked then), so a candidate
that cannot load is refused in one sentence naming it and no run of the comparison is left behind. Starting or
queueing the runs is the caller's.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import runs
from core.config import DataSettings, RunConfig, TrainSettings
from core.data.uploads import shown_name
from core.errors import ConfigError, TuneScopeError
from core.fewshot.recipe import SETFIT
from core.files import write_json
from core.job import create_run
from core.modelref import ADMIN, ModelRef, Reach
from core.runs.folder import now
from core.training.recipe import FINETUNE

# a candidate's recipe -> the run's training recipe (``core.job.recipes``) and whether it trains LoRA adapters
TRAINING = {"finetune": (FINETUNE.name, False), "lora": (FINETUNE.name, True), "setfit": (SETFIT.name, False)}
RECIPES = tuple(TRAINING)
FOLDER = ".comparisons"  # in the runs folder; dot folders are not runs
MAX_CANDIDATES = 8
TAG = "compare:{id}"


@dataclass(frozen=True)
class Candidate:
    """One base model trained one way."""

    model: ModelRef
    recipe: str = "finetune"
    shown: str = ""  # the client's own text for it (a located reference may hold a server path)

    @property
    def label(self) -> str:
        """How the candidate is shown: the model's list name and the recipe."""
        return f"{self.model.list_name} · {self.recipe}"

    def text(self) -> str:
        """The candidate in the client's form (``parse_candidate`` reads it back)."""
        return self.shown or f"{self.model.format()}@{self.recipe}"


@dataclass(frozen=True)
class Budget:
    """Epochs or minutes per candidate (one of them)."""

    epochs: float | None = None
    minutes: int | None = None

    def __post_init__(self) -> None:
        given = [value for value in (self.epochs, self.minutes) if value not in (None, 0)]
        if len(given) != 1:
            raise ConfigError("Give the comparison one budget per candidate: a number of epochs or of minutes, "
                              "above zero.")
        if self.epochs is not None and self.epochs != 0 and not 0 < float(self.epochs) <= 100:
            raise ConfigError(f"Epochs per candidate must be above 0 and at most 100 (got {self.epochs}).")
        if self.minutes is not None and self.minutes != 0 and not 0 < int(self.minutes) <= 24 * 60:
            raise ConfigError(f"Minutes per candidate must be between 1 and 1440 (got {self.minutes}).")

    def apply(self, train: TrainSettings) -> TrainSettings:
        if self.minutes:
            return dataclasses.replace(train, epochs="auto", time_budget=int(self.minutes), max_steps=None)
        return dataclasses.replace(train, epochs=float(self.epochs), time_budget=None, max_steps=None)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs or None, "minutes": self.minutes or None}


def parse_candidate(text: Any, reach: Reach = ADMIN) -> Candidate:
    """A candidate from ``MODEL@RECIPE`` (recipe finetune when left out); the model checked against ``reach``."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("A candidate is written MODEL@RECIPE, e.g. default@setfit (the recipe: finetune, lora or "
                          "setfit).")
    model, sep, recipe = text.strip().rpartition("@")
    if not sep:
        model, recipe = text.strip(), "finetune"
    if recipe not in RECIPES:
        raise ConfigError(f"Candidate '{text[:80]}' names the recipe '{recipe[:40]}': use finetune, lora or setfit.")
    ref = ModelRef.parse(model)
    return Candidate(ref.located(reach), recipe, f"{ref.format()}@{recipe}")  # refused here when out of reach


def candidate_config(candidate: Candidate, data: DataSettings, budget: Budget, base: TrainSettings,
                     reach: Reach = ADMIN) -> RunConfig:
    """The run configuration of one candidate: the shared data and settings, its model, recipe and the budget."""
    recipe, lora = TRAINING[candidate.recipe]
    train = dataclasses.replace(base, recipe=recipe, lora=lora)
    return RunConfig(data=dataclasses.replace(data), model=candidate.model.located(reach), train=budget.apply(train))


def create_comparison(data: DataSettings, candidates: list[Candidate], budget: Budget, root: str | Path | None = None,
                      owner: str | None = None, base: TrainSettings | None = None,
                      reach: Reach = ADMIN) -> dict[str, Any]:
    """Create one run per candidate (none started) and the comparison's record; returns the record."""
    if not 2 <= len(candidates) <= MAX_CANDIDATES:
        raise ConfigError(f"Compare between 2 and {MAX_CANDIDATES} candidates (got {len(candidates)}).")
    if len(set(candidates)) != len(candidates):
        raise ConfigError("The same candidate is listed twice: each model and recipe once.")
    root = runs.runs_root(root)
    ident = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    made: list[Path] = []
    try:
        for candidate in candidates:
            config = candidate_config(candidate, data, budget, base or TrainSettings(), reach)
            try:
                made.append(create_run(config, root=root, owner=owner))
            except TuneScopeError as exc:
                raise type(exc)(f"Candidate {candidate.label} cannot be trained: {exc}") from exc
            runs.tag_run(made[-1], add=[TAG.format(id=ident)], remove=[])
    except BaseException:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    record = {"id": ident, "created_at": now(), "owner": owner, "budget": budget.to_dict(),
              "data": shown_name(data.train_file),
              "runs": [{"run_id": folder.name, "candidate": c.text(), "label": c.label, "recipe": c.recipe}
                       for folder, c in zip(made, candidates, strict=True)]}
    (root / FOLDER).mkdir(parents=True, exist_ok=True)
    write_json(root / FOLDER / f"{ident}.json", record)
    return record
