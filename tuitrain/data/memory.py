"""The in-memory path: the dataset lives on the device as uint8; batches are gathered by index.

Nothing crosses the host-device boundary per batch: the permutation, the gather, the float
conversion, the augmentation and the normalization all run where the data is. Order and
augmentation are pure functions of (seed, epoch, batch), so any batch can be replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from tuitrain.data.augment import BatchAugment
from tuitrain.data.seeding import AUGMENT, ORDER, derive_seed, generator
from tuitrain.data.shard import WHOLE, Shard, global_batch_size


def batch_count(size: int, batch_size: int, drop_last: bool) -> int:
    return size // batch_size if drop_last else -(-size // batch_size)


def to_float(images: Tensor) -> Tensor:
    return images.float().div_(255)


def finish(x: Tensor, channels_last: bool) -> Tensor:
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class MemoryTrainLoader:
    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        *,
        batch_size: int,
        shuffle: bool,
        drop_last: bool,
        seed: int,
        augment: BatchAugment,
        channels_last: bool = False,
        shard: Shard = WHOLE,
    ) -> None:
        self.images, self.labels = images, labels
        self.device = images.device
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.augment, self.channels_last, self.shard = augment, channels_last, shard
        self.batches_per_epoch = batch_count(images.shape[0], batch_size, drop_last)

    def order(self, epoch: int) -> Tensor:
        """The epoch's sample order: a permutation seeded by (seed, epoch), or the natural one."""
        n = self.images.shape[0]
        if not self.shuffle:
            return torch.arange(n, device=self.device)
        gen = generator(self.device, self.seed, ORDER, epoch)
        return torch.randperm(n, generator=gen, device=self.device)

    def epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        order = self.order(epoch)
        gen = torch.Generator(device=self.device)
        size = self.batch_size
        n = self.images.shape[0]
        for k in range(start_batch, self.batches_per_epoch):
            index = order[k * size : (k + 1) * size]
            start, end = self.shard.bounds(global_batch_size(n, size, k))
            if not self.augment.active:
                index = index[start:end]  # per-image work only: gather this rank's share
            x, y = to_float(self.images[index]), self.labels[index]
            gen.manual_seed(derive_seed(self.seed, AUGMENT, epoch, k))
            x, y = self.augment(x, y, gen)
            if self.augment.active and not self.shard.whole:
                # The draws are made for the whole global batch (and mixup pairs images across
                # ranks' shares), so each rank augments all of it and keeps its share: the
                # union of the shares is then exactly the single-process batch.
                x, y = x[start:end], y[start:end]
            yield finish(x, self.channels_last), y


class MemoryEvalLoader:
    """Fixed order, no augmentation, int64 targets."""

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        *,
        batch_size: int,
        normalize: Callable[[Tensor], Tensor],
        channels_last: bool = False,
        shard: Shard = WHOLE,
    ) -> None:
        start, end = shard.bounds(images.shape[0])  # each rank validates its own share
        images, labels = images[start:end], labels[start:end]
        self.images, self.labels = images, labels
        self.batch_size, self.normalize, self.channels_last = batch_size, normalize, channels_last
        self.batches = batch_count(images.shape[0], batch_size, drop_last=False)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        size = self.batch_size
        for k in range(self.batches):
            x = self.normalize(to_float(self.images[k * size : (k + 1) * size]))
            yield finish(x, self.channels_last), self.labels[k * size : (k + 1) * size]
