"""The few-shot recipe: SetFit's contrastive training of a sentence-embedding body, then a classification head.

``recipe`` (light: the recommendation :func:`advice` and the recipe :data:`SETFIT`, whose ``check`` preflight
calls and whose ``train`` the training child calls, chosen by the setting ``recipe="setfit"``), ``train``
(the training itself), ``head`` (the fitted logistic regression copied into a standard
``AutoModelForSequenceClassification``) and ``events`` (progress events in the usual format). Importing this
package does not import torch or setfit.
"""

from core.fewshot.recipe import FEW_ROWS_PER_CLASS, SETFIT, SetFit, advice

__all__ = ["FEW_ROWS_PER_CLASS", "SETFIT", "SetFit", "advice"]
