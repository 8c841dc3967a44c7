"""The registry of recipes: the value of the ``recipe`` setting -> the :class:`~core.job.recipe.Recipe`.

Adding a recipe is one module holding an object of the protocol's shape (in the package whose training it
uses) and one entry in :data:`RECIPES` below, plus its name among the ``recipe`` setting's choices in
``core.config`` (a test keeps the two equal). Nothing else compares recipe names: preflight asks
:func:`recipe_for` to check, and the training child to train.
"""

from __future__ import annotations

from core.config import RunConfig
from core.errors import ConfigError
from core.fewshot.recipe import SETFIT
from core.job.recipe import Recipe
from core.training.recipe import FINETUNE

RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (FINETUNE, SETFIT)}


def recipe_for(config: RunConfig) -> Recipe:
    """The recipe ``config`` chooses; a :class:`ConfigError` naming the choices for an unknown one."""
    name = config.train.recipe
    if name not in RECIPES:
        raise ConfigError(f"recipe '{name}' is not a TuneScope recipe: choose one of {', '.join(RECIPES)}.")
    return RECIPES[name]
