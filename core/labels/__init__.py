"""Suspect labels: which training rows are probably mislabelled, judged from the run itself, and fixing them.

Training records each train row's predicted probabilities (``core.training.dynamics.TrainingDynamics``,
saved as ``dynamics.npz`` in the run folder, read back here); ``scores`` turns probabilities into suspicion scores
(``cleanlab``); ``suspects`` lists a run's most suspect rows (``find_suspects``); ``fixes`` writes a
corrected copy of the training rows (``fix_data``) and retrains on it (``retrain``). Leaves out training
itself (``core.training``) and the UI.
"""

from core.labels.fixes import fix_data, retrain
from core.labels.suspects import find_suspects

__all__ = ["find_suspects", "fix_data", "retrain"]
