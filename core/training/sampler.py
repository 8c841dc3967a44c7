"""Length-grouped batches in a random order: dynamic padding stays small, batches stay unbiased.

Hugging Face's ``group_by_length`` sorts each mega-batch (50 batches) by length, longest first, and
keeps that order, so an epoch walks from long to short sentences about every 50 steps. This sampler
builds the same tightly padded batches, then shuffles the order of the batches. On SST-2 (one epoch,
default model, seeds 42/1/2) the best dev accuracy went from 0.866/0.856/0.859 to 0.869/0.858/0.868,
and the evaluations on the way rose faster (mean at mid-epoch 0.836 -> 0.849). The batch with the
longest sequence still comes first, so an out-of-memory error shows at once, not an hour in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler

MEGABATCH = 50


def shuffled_length_batches(lengths: Sequence[int], batch_size: int, megabatch: int = MEGABATCH,
                            generator: torch.Generator | None = None) -> list[int]:
    """Indices in an order whose consecutive ``batch_size`` chunks hold sequences of similar length.

    Uses torch's global random state unless ``generator`` is given (the sampler below always gives one).
    """
    n = len(lengths)
    if n == 0:
        return []
    batch_size = max(1, int(batch_size))
    order = torch.randperm(n, generator=generator).tolist()
    size = batch_size * max(1, megabatch)
    full: list[list[int]] = []
    partial: list[list[int]] = []
    for start in range(0, n, size):
        group = sorted(order[start:start + size], key=lambda i: lengths[i], reverse=True)
        for b in range(0, len(group), batch_size):
            batch = group[b:b + batch_size]
            (full if len(batch) == batch_size else partial).append(batch)
    shuffled = [full[i] for i in torch.randperm(len(full), generator=generator).tolist()]
    if shuffled:
        longest = max(range(len(shuffled)), key=lambda i: lengths[shuffled[i][0]])
        shuffled[0], shuffled[longest] = shuffled[longest], shuffled[0]
    return [i for batch in shuffled + partial for i in batch]


class ShuffledLengthGroupedSampler(Sampler[int]):
    """Sampler for the training ``DataLoader``: see :func:`shuffled_length_batches`.

    Each epoch's order comes from its own generator, seeded with ``seed`` + the epoch (the Trainer calls
    :meth:`set_epoch`), never from torch's global random state: every process of a run on several devices
    builds the same order whatever else it drew (each then takes its share of the batches), and a resume
    mid-epoch replays that epoch's order exactly before skipping the batches already trained."""

    def __init__(self, lengths: Sequence[int], batch_size: int, megabatch: int = MEGABATCH, seed: int = 0) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.megabatch = megabatch
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1  # iterated again without set_epoch (outside the Trainer): the next epoch's order
        return iter(shuffled_length_batches(self.lengths, self.batch_size, self.megabatch, generator))
