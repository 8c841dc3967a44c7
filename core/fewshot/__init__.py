"""The few-shot recipe: SetFit's contrastive training of a sentence-embedding body, then a classification head.

``recipe`` (light: the recommendation :func:`advice` and the preflight :func:`check_recipe`), ``train``
(the training child's few-shot path, chosen by the setting ``recipe="setfit"``), ``head`` (the fitted
logistic regression copied into a standard ``AutoModelForSequenceClassification``) and ``events`` (progress
events in the usual format). Importing this package does not import torch or setfit.
"""

from core.fewshot.recipe import FEW_ROWS_PER_CLASS, advice, check_recipe, import_setfit

__all__ = ["FEW_ROWS_PER_CLASS", "advice", "check_recipe", "import_setfit"]
