"""Look inside a classifier: exact attention weights, per-head statistics and importance, base vs
fine-tuned change, and integrated-gradients token attributions.

``extract`` runs one input with eager attention and returns tokens plus a ``[layers, heads, T, T]``
array (and numpy aggregates: rollout, attention from a token, special-token filter, pooling);
``heads`` works on whole heads; ``neurons`` gives one layer's per-head query and key vectors (checked
against the weights) for the neuron view; ``attributions`` explains a prediction token by token. Figures are
``core.plots.attention``/``core.plots.heads``; loading models is ``core.inference``.
"""
