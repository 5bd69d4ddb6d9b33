from collections.abc import Iterable

import pytest
import torch

from tests.data.test_augment import EVERYTHING
from tuitrain.config.augment import Augment
from tuitrain.data.augment import BatchAugment
from tuitrain.data.memory import MemoryEvalLoader, MemoryTrainLoader


def loader(
    augment: Augment = EVERYTHING,
    *,
    n: int = 70,
    shuffle: bool = True,
    drop_last: bool = False,
    channels_last: bool = False,
    seed: int = 5,
) -> MemoryTrainLoader:
    # pixel (i, 0, 0, 0) holds i: a batch tells which samples it holds
    images = torch.randint(0, 256, (n, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    images[:, 0, 0, 0] = torch.arange(n, dtype=torch.uint8)
    return MemoryTrainLoader(
        images.to(torch.uint8),
        torch.arange(n) % 10,
        batch_size=16,
        shuffle=shuffle,
        drop_last=drop_last,
        seed=seed,
        augment=BatchAugment(augment, 10),
        channels_last=channels_last,
    )


def ids(batch: torch.Tensor) -> list[int]:
    return (batch[:, 0, 0, 0] * 255).round().long().tolist()


def order(batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> list[int]:
    return [i for x, _ in batches for i in ids(x)]


def test_resuming_mid_epoch_reproduces_the_tail_bit_for_bit() -> None:
    train = loader()
    full = list(train.epoch(3))
    tail = list(train.epoch(3, 2))
    assert len(full) == train.batches_per_epoch == 5 and len(tail) == 3
    for (x, y), (rx, ry) in zip(full[2:], tail, strict=True):
        assert torch.equal(x, rx) and torch.equal(y, ry)
    again = list(loader().epoch(3))  # a new loader, as after a restart
    assert all(torch.equal(a[0], b[0]) for a, b in zip(full, again, strict=True))


def test_each_epoch_is_a_fresh_permutation_with_the_partial_batch_kept() -> None:
    train = loader(Augment())
    orders = [order(train.epoch(e)) for e in range(3)]
    for seen in orders:
        assert sorted(seen) == list(range(70))
    assert orders[0] != orders[1] != orders[2]
    assert [x.shape[0] for x, _ in train.epoch(0)] == [16, 16, 16, 16, 6]
    assert orders[1] == order(loader(Augment()).epoch(1))
    other_seed = order(loader(Augment(), seed=6).epoch(1))
    assert other_seed != orders[1]


def test_no_shuffle_and_drop_last() -> None:
    train = loader(Augment(), shuffle=False, drop_last=True)
    batches = list(train.epoch(0))
    assert train.batches_per_epoch == 4 and len(batches) == 4
    assert order(batches) == list(range(64))
    x, y = batches[1]
    assert x.dtype == torch.float32 and y.tolist() == [i % 10 for i in range(16, 32)]


def test_batches_differ_between_epochs_and_batches() -> None:
    train = loader(Augment.model_validate({"flip": {"p": 0.5}}), shuffle=False)
    first = [x for x, _ in train.epoch(0)]
    second = [x for x, _ in train.epoch(1)]
    assert not torch.equal(first[0], second[0])  # same samples, new flips


def test_channels_last_and_eval_loader() -> None:
    x, _ = next(iter(loader(channels_last=True).epoch(0)))
    assert x.is_contiguous(memory_format=torch.channels_last)
    images = torch.full((10, 1, 4, 4), 51, dtype=torch.uint8)
    val = MemoryEvalLoader(images, torch.arange(10), batch_size=4, normalize=lambda t: t * 10)
    batches = list(val)
    assert val.batches == 3 and [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert batches[0][0].flatten().tolist() == pytest.approx([2.0] * 64)
    assert torch.equal(torch.cat([y for _, y in batches]), torch.arange(10))
