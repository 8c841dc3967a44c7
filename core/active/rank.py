"""Rank a pool by how much a label would teach the run's model: uncertainty balanced with diversity.

One pass of the run's saved model over the pool gives each row's probabilities and its pooled embedding (mean
of the encoder's last hidden states over real tokens, L2-normalised, as ``core.inference.similar``). The
uncertainty of a row is, for a single-label run, ``margin`` (1 - the gap between the two likeliest labels) or
``entropy`` (normalised to 0..1); for a multi-label run, how close its most doubtful label's probability is to
that label's threshold (1 at the threshold, 0 at 0 or 1). Diversity: the ``CANDIDATES`` x batch most uncertain
rows are clustered into ``batch`` groups with scikit-learn's k-means on their embeddings, and the most uncertain
row of each group is taken, so a batch is not many copies of one confusing sentence. A *cold start*: while a
single-label run's balanced validation accuracy (the mean of its labels' recalls) is not at least
``COLD_MARGIN`` above chance, as always guessing one label gives, its doubts are noise, so the batch is a seeded
random sample of the pool (on SST-2, a batch picked to cover the pool's k-means centres instead left the next
model at chance: ``bench/README.md``). ``random`` (a seeded sample) is the baseline the benchmark compares with.
Leaves out reading the pool (``core.active.pool``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import runs
from core.active.pool import ROW, Pool
from core.data import TEXT, TEXT_PAIR
from core.errors import DataError, RunError
from core.inference.loading import Loaded, load_for_inference
from core.inference.predict import run_batches

METHODS = ("margin", "entropy", "random")
CANDIDATES = 5  # the diversity step clusters this many times the batch of the most uncertain rows
MAX_BATCH = 1000
COLD_MARGIN = 0.05  # balanced validation accuracy above chance below which the model knows nothing yet
COLD_START = ("The run is not yet better than chance on its validation rows, so its doubts mean nothing yet: "
              "these rows are a random sample of the pool.")
Progress = Callable[[int, int], Any]


def check_run(run_dir: str | Path) -> Path:
    """The folder of a run that finished with a saved model; one sentence for any other."""
    folder = runs.require_run(run_dir)
    state = runs.read_status(folder).get("state")
    if state in runs.ACTIVE_STATES or not (folder / "model" / "config.json").is_file():
        raise RunError(f"Run {folder.name} is {state or 'not finished'}, not finished with a saved model: rank a "
                       "pool with a run that finished.")
    return folder


def pool_outputs(loaded: Loaded, pool: Pool, max_length: int, batch_size: int = 64,
                 progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities ``n x labels``, embeddings ``n x hidden``) of the pool's rows, in one pass of the model."""
    import torch

    labels = len(loaded.labels)

    def forward(model: Any, batch: dict[str, Any]) -> Any:
        out = model(**batch, output_hidden_states=True)
        hidden = out.hidden_states[-1].float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = torch.nn.functional.normalize((hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0), dim=-1)
        return torch.cat([loaded.activate(out.logits.float()), mean], dim=-1)

    texts = pool.frame[TEXT].tolist()
    pairs = pool.frame[TEXT_PAIR].tolist() if TEXT_PAIR in pool.frame.columns else None
    width = labels + int(loaded.model.config.hidden_size)
    both = run_batches(loaded, texts, pairs, forward, width, batch_size, max_length, progress=progress)
    return both[:, :labels], both[:, labels:]


def uncertainty(probabilities: np.ndarray, method: str = "margin", thresholds: list[float] | None = None) -> np.ndarray:
    """Each row's uncertainty in 0..1 (higher: a label teaches more); ``thresholds``: a multi-label run's."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    if thresholds is not None:
        t = np.asarray(thresholds, dtype=np.float64)[None, :]
        closeness = 1.0 - np.abs(p - t) / np.maximum(t, 1.0 - t)
        return closeness.max(axis=1) + 1e-3 * closeness.mean(axis=1)  # ties: more doubtful labels first
    if method == "entropy":
        k = max(2, p.shape[1])
        return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=1) / np.log(k)
    top = np.sort(p, axis=1)[:, ::-1]
    return 1.0 - (top[:, 0] - (top[:, 1] if p.shape[1] > 1 else 0.0))


def cold(folder: Path, multi_label: bool) -> bool:
    """True when a single-label run's balanced accuracy on its validation rows (the mean of the labels' recalls in
    ``metrics.json``) is under chance (1 / labels) plus ``COLD_MARGIN``: a model that always guesses one label, or
    guesses at random, whatever the balance of the labels; its uncertainty is noise yet (multi-label, no metrics:
    False)."""
    metrics = runs.read_json(runs.RunPaths(folder).metrics, {}) or {}
    per_class = metrics.get("per_class") if isinstance(metrics, dict) else None
    if multi_label or not isinstance(per_class, dict):
        return False
    recalls = [c.get("recall") for c in per_class.values() if isinstance(c, dict)]
    if len(recalls) < 2 or not all(isinstance(r, (int, float)) for r in recalls):
        return False
    return float(np.mean(recalls)) < 1.0 / len(recalls) + COLD_MARGIN


def select(scores: np.ndarray, embeddings: np.ndarray, batch: int, method: str = "margin", diverse: bool = True,
           seed: int = 0, cold: bool = False) -> np.ndarray:
    """Positions of the ``batch`` rows to label, in the order to label them (most uncertain first; ``cold``: a
    cold start's seeded random sample)."""
    n = len(scores)
    batch = min(batch, n)
    if method == "random" or cold:
        return np.random.default_rng(seed).permutation(n)[:batch]
    order = np.argsort(-scores, kind="stable")
    if not diverse or n <= batch or batch < 2:
        return order[:batch]
    from sklearn.cluster import KMeans

    candidates = order[:min(n, CANDIDATES * batch)]
    groups = KMeans(n_clusters=batch, n_init=1, random_state=seed).fit_predict(embeddings[candidates])
    chosen = [candidates[groups == g][0] for g in np.unique(groups)]  # candidates are most uncertain first
    chosen = sorted(chosen, key=lambda i: -scores[i])
    if len(chosen) < batch:  # k-means may merge identical embeddings: fill from the most uncertain
        taken = set(chosen)
        chosen += [i for i in candidates if i not in taken][:batch - len(chosen)]
    return np.asarray(chosen, dtype=np.int64)


def rank_pool(run_dir: str | Path, pool: Pool, batch: int = 50, method: str = "margin", diverse: bool = True,
              seed: int = 0, progress: Progress | None = None) -> pd.DataFrame:
    """The ``batch`` pool rows to label next: ``rank``, ``row``, ``text`` ([``text_pair``]), ``guess`` (the
    model's label, multi-label: a list), ``uncertainty`` and one probability column per label (``p:<label>``)."""
    if method not in METHODS:
        raise DataError(f"The ranking method is one of {', '.join(METHODS)} (got '{str(method)[:20]}').")
    if not 1 <= int(batch) <= MAX_BATCH:
        raise DataError(f"The batch is 1 to {MAX_BATCH} rows (got {batch}).")
    if len(pool) == 0:
        raise DataError("The pool has no rows: give a file with one text per row.")
    folder = check_run(run_dir)
    config = runs.load_config(folder)
    loaded = load_for_inference(str(folder))
    probabilities, embeddings = pool_outputs(loaded, pool, config.train.max_length, progress=progress)
    thresholds = loaded.thresholds if loaded.multi_label else None
    scores = uncertainty(probabilities, method, thresholds)
    starting = diverse and cold(folder, loaded.multi_label)
    picked = select(scores, embeddings, int(batch), method, diverse, seed, cold=starting)
    table = ranked_table(pool, loaded.labels, probabilities, scores, picked, thresholds)
    table.attrs["cold_start"] = starting
    return table


def ranked_table(pool: Pool, labels: list[str], probabilities: np.ndarray, scores: np.ndarray, picked: np.ndarray,
                 thresholds: list[float] | None) -> pd.DataFrame:
    """The picked rows as the ranking's table (see :func:`rank_pool`)."""
    frame = pool.frame.iloc[picked].reset_index(drop=True)
    chosen = probabilities[picked]
    if thresholds is not None:
        guess: list[Any] = [[labels[j] for j in np.flatnonzero(row >= thresholds)] for row in chosen]
    else:
        guess = [labels[int(j)] for j in chosen.argmax(axis=1)]
    table = pd.DataFrame({"rank": np.arange(1, len(picked) + 1), ROW: frame[ROW].to_numpy(), TEXT: frame[TEXT]})
    if TEXT_PAIR in frame.columns:
        table[TEXT_PAIR] = frame[TEXT_PAIR]
    table["guess"] = guess
    table["uncertainty"] = np.round(scores[picked], 4)
    for j, label in enumerate(labels):
        table[f"p:{label}"] = np.round(chosen[:, j].astype(float), 4)
    return table
