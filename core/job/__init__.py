"""The job layer: create a run, and run one run folder in the training child over the recipes.

``create`` (:func:`create_run`: check, read the data once, write the folder) with ``preflight`` (refuse a run
that would fail, before its folder or process exists); ``recipe`` (the :class:`Recipe` protocol every way of
training implements: check a configuration, train a run folder) and ``recipes`` (the registry: the
``recipe`` setting's value -> its recipe); ``run`` (:func:`run_training`, the training child: device lock,
status and events, pre-training stage, recipe, final outputs, index), ``calibrate`` (the temperature fitted on
the validation rows and folded into the model before it is saved), ``outputs`` (``model/``, metrics, card,
index) and ``ending`` (summary, final event and status, failure sentences). A run folder's bookkeeping is
``core.runs``; the training engines are ``core.training`` (fine-tuning) and ``core.fewshot`` (SetFit).
Importing this package does not import torch or transformers.
"""

from core.job.create import create_run
from core.job.preflight import check_model_and_data, check_settings
from core.job.recipe import Recipe
from core.job.recipes import RECIPES, recipe_for
from core.job.run import is_main_process, run_training

__all__ = ["RECIPES", "Recipe", "check_model_and_data", "check_settings", "create_run", "is_main_process",
           "recipe_for", "run_training"]
