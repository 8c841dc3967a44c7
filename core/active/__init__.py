"""Active learning: which unlabelled rows a finished run would learn most from, and labelling them.

``pool`` reads the unlabelled rows (a file of texts in any format ``core.data`` reads, its text column named or
detected; or the rows of the run's own training file that have no label); ``rank`` runs the run's model over them
once (probabilities and pooled embeddings in one pass) and picks a batch by uncertainty (margin or entropy;
multi-label: how close each label's probability is to its threshold) balanced with diversity (k-means of the
most uncertain rows' embeddings, the most uncertain row of each cluster; a cold start, while the run is no
better than chance on its validation rows, takes a random sample instead); ``session`` keeps a labelling session
(the ranked batch, the labels given, skips, undo) as one small JSON file in the run folder, written atomically;
``retrain`` starts a normal run from the same settings with the new rows added and records which rows were
added. Leaves out the UI, the CLI and training itself.
"""

from core.active.pool import Pool, read_pool, training_pool
from core.active.rank import COLD_START, METHODS, rank_pool
from core.active.retrain import retrain_with_labels
from core.active.session import (
    give_label,
    labels_frame,
    load_session,
    new_session,
    next_row,
    skip_row,
    undo,
)

__all__ = ["COLD_START", "METHODS", "Pool", "give_label", "labels_frame", "load_session", "new_session", "next_row", "rank_pool",
           "read_pool", "retrain_with_labels", "skip_row", "training_pool", "undo"]
