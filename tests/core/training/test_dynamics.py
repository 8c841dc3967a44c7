"""TrainingDynamics keeps every record of every row, in order, and survives a save/load round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import RunError
from core.training.dynamics import TrainingDynamics


def test_records_accumulate_per_row_across_epochs_and_round_trip(tmp_path: Path) -> None:
    dynamics = TrainingDynamics(rows=5, labels=3, multi_label=False)
    first = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], dtype=np.float32)
    dynamics.record(np.array([4, 0, 2]), first, epoch=0.0)
    dynamics.record(np.array([1, 3]), np.full((2, 3), 1 / 3, dtype=np.float32), epoch=0.5)
    dynamics.record(np.array([0, 4]), np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=np.float32), epoch=1.0)
    assert dynamics.counts.tolist() == [2, 1, 1, 1, 2]
    loaded = TrainingDynamics.load(dynamics.save(tmp_path / "dynamics.npz"))
    assert (loaded.rows, loaded.labels, loaded.multi_label, loaded.seen) == (5, 3, False, 2)
    assert loaded.counts.tolist() == [2, 1, 1, 1, 2]
    np.testing.assert_allclose(loaded.probabilities[4, 0], first[0], atol=1e-3)
    np.testing.assert_allclose(loaded.probabilities[0, 1], [0.0, 1.0, 0.0], atol=1e-3)
    assert loaded.epochs[4].tolist() == [0.0, 1.0]
    assert np.isnan(loaded.epochs[2, 1])
    assert not list(tmp_path.glob("*.partial*"))


def test_a_row_repeated_in_one_batch_gets_one_record_per_occurrence() -> None:
    dynamics = TrainingDynamics(rows=3, labels=2, multi_label=True)
    dynamics.record(np.array([1, 1, 2, 1]), np.array([[0.1, 0.9], [0.2, 0.8], [0.5, 0.5], [0.3, 0.7]]), epoch=0.2)
    assert dynamics.counts.tolist() == [0, 3, 1]
    np.testing.assert_allclose(dynamics.probabilities[1, :3, 0], [0.1, 0.2, 0.3], atol=1e-3)


def test_bad_records_and_missing_files_are_refused(tmp_path: Path) -> None:
    dynamics = TrainingDynamics(rows=2, labels=2)
    with pytest.raises(ValueError):
        dynamics.record(np.array([2]), np.array([[0.5, 0.5]]), epoch=0)
    with pytest.raises(ValueError):
        dynamics.record(np.array([0]), np.array([[0.2, 0.3, 0.5]]), epoch=0)
    with pytest.raises(RunError, match="dynamics.npz"):
        TrainingDynamics.load(tmp_path / "dynamics.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(RunError, match="broken.npz"):
        TrainingDynamics.load(tmp_path / "broken.npz")


def test_batches_stay_on_the_device_until_many_are_copied_together(tmp_path: Path) -> None:
    import torch

    from core.training import dynamics as module

    kept, direct = TrainingDynamics(rows=200, labels=2), TrainingDynamics(rows=200, labels=2)
    generator = np.random.default_rng(0)
    for batch in range(module.FLUSH_EVERY + 3):
        rows = generator.choice(200, size=4, replace=False)
        probabilities = generator.dirichlet([1.0, 1.0], size=4).astype(np.float32)
        kept.add(torch.from_numpy(rows), torch.from_numpy(probabilities), epoch=batch / 50)
        direct.record(rows, probabilities, epoch=batch / 50)
        if batch == module.FLUSH_EVERY - 2:
            assert kept.seen == 0  # nothing copied to the host yet
    assert 0 < kept.counts.sum() < direct.counts.sum()  # one copy of FLUSH_EVERY batches; three still kept
    loaded = TrainingDynamics.load(kept.save(tmp_path / "d.npz"))  # a save records what is kept first
    assert np.array_equal(loaded.counts, direct.counts)
    assert np.array_equal(loaded.probabilities, direct.probabilities[:, :direct.seen])


def test_processes_agree_on_a_stop_every_few_steps_not_every_step(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from core.training.callback import AGREE_EVERY, EventCallback

    callback = EventCallback(tmp_path, lambda _: True)
    two = SimpleNamespace(world_size=2, device="cpu")
    assert callback._stop_now(two, AGREE_EVERY + 1) is False  # no collective on this step
    assert callback._stop_now(two, 2 * AGREE_EVERY) is True  # (torch.distributed is not set up here)
    assert callback._stop_now(SimpleNamespace(world_size=1), 3) is True


def test_the_shares_of_several_processes_merge_into_one_record_per_row_in_epoch_order() -> None:
    whole = TrainingDynamics(rows=6, labels=2)
    parts = [TrainingDynamics(rows=6, labels=2) for _ in range(2)]
    generator = np.random.default_rng(1)
    for epoch in range(3):
        order = generator.permutation(6)
        for rank, share in enumerate((order[:3], order[3:])):
            probabilities = generator.dirichlet([1.0, 1.0], size=3).astype(np.float32)
            parts[1 - rank if epoch == 1 else rank].record(share, probabilities, epoch=float(epoch))
            whole.record(share, probabilities, epoch=float(epoch))
    merged = TrainingDynamics.merged(parts)
    assert np.array_equal(merged.counts, whole.counts) and merged.seen == 3
    assert np.array_equal(merged.epochs[:, :3], whole.epochs[:, :3])
    assert np.array_equal(merged.probabilities[:, :3], whole.probabilities[:, :3])
