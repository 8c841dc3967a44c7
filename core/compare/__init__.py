"""Compare candidate models on one data set: base models crossed with recipes, one budget, one table.

``plan`` (:class:`Candidate`: a model reference and a recipe, ``finetune``, ``lora`` or ``setfit``; :class:`Budget`:
epochs or minutes per candidate; :func:`create_comparison`: one normal run per candidate, tagged ``compare:<id>``,
recorded in ``<runs>/.comparisons/<id>.json``) and ``result`` (:func:`comparison_result`: each candidate's
validation accuracy and macro-F1, training time, single-text latency p50, throughput and size, the best
trade-offs (the Pareto front of macro-F1 against latency) and one recommendation with its reason).
"""

from core.compare.plan import RECIPES, Budget, Candidate, create_comparison, parse_candidate
from core.compare.result import comparison_result, list_comparisons, load_comparison, recommendation_sentence

__all__ = ["RECIPES", "Budget", "Candidate", "comparison_result", "create_comparison", "list_comparisons",
           "load_comparison", "parse_candidate", "recommendation_sentence"]
