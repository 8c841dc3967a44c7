"""The training sampler: tight length groups, shuffled batch order, longest batch first, seeded."""

from __future__ import annotations

import random

import torch

from core.training.sampler import ShuffledLengthGroupedSampler, shuffled_length_batches


def _lengths(n: int, seed: int = 0) -> list[int]:
    values = list(range(1, n + 1))
    random.Random(seed).shuffle(values)
    return values


def test_every_index_once_and_partial_batch_last() -> None:
    lengths = _lengths(1003)
    order = shuffled_length_batches(lengths, 10, megabatch=5, generator=torch.Generator().manual_seed(0))
    assert sorted(order) == list(range(1003))
    chunks = [order[i:i + 10] for i in range(0, len(order), 10)]
    assert [len(c) for c in chunks[:-1]] == [10] * 100 and len(chunks[-1]) == 3


def test_batches_are_tight_but_not_in_length_order() -> None:
    lengths = _lengths(1000)
    order = shuffled_length_batches(lengths, 10, megabatch=100, generator=torch.Generator().manual_seed(1))
    chunks = [[lengths[i] for i in order[j:j + 10]] for j in range(0, 1000, 10)]
    # one mega-batch holds everything, so each batch is ten neighbouring lengths: no padding waste
    assert all(max(c) - min(c) == 9 for c in chunks)
    assert max(chunks[0]) == 1000  # the longest batch runs first (an out-of-memory error shows at once)
    maxima = [max(c) for c in chunks[1:]]
    assert maxima != sorted(maxima, reverse=True) and maxima != sorted(maxima)
    # HF's group_by_length would walk from long to short; the shuffled order has no such trend
    first, second = maxima[: len(maxima) // 2], maxima[len(maxima) // 2:]
    assert abs(sum(first) / len(first) - sum(second) / len(second)) < 150


def test_padding_far_below_random_batches() -> None:
    lengths = [random.Random(i).choice([5, 8, 12, 20, 40, 90]) + i % 7 for i in range(3200)]
    order = shuffled_length_batches(lengths, 32, generator=torch.Generator().manual_seed(2))
    shuffled = list(range(3200))
    random.Random(3).shuffle(shuffled)

    def padded(indices: list[int]) -> int:
        return sum(32 * max(lengths[i] for i in indices[j:j + 32]) for j in range(0, len(indices), 32))

    assert padded(order) < 0.6 * padded(shuffled)


def test_each_epochs_order_comes_from_the_seed_and_epoch_never_the_global_state() -> None:
    ranks = [ShuffledLengthGroupedSampler(_lengths(500), 16, seed=7) for _ in range(2)]
    assert len(ranks[0]) == 500
    orders = []
    for global_seed, sampler in zip((1, 2), ranks, strict=True):  # two processes whose global states differ
        torch.manual_seed(global_seed)
        sampler.set_epoch(3)
        orders.append(list(sampler))
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(500))
    ranks[0].set_epoch(4)
    other_epoch = list(ranks[0])
    assert other_epoch != orders[0] and list(ranks[0]) != other_epoch  # no set_epoch: the next epoch's order
    assert list(ShuffledLengthGroupedSampler(_lengths(500), 16, seed=8)) != list(
        ShuffledLengthGroupedSampler(_lengths(500), 16, seed=7))


def test_empty_and_tiny_inputs() -> None:
    assert shuffled_length_batches([], 8) == []
    assert sorted(shuffled_length_batches([3, 1], 8)) == [0, 1]
