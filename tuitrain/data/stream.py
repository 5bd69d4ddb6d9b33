"""The streaming path: a DataLoader decodes and augments images in worker processes.

For datasets too large for the device (or with loader: stream). The order is still seeded by
(seed, epoch) and an epoch can start at any batch, but the workers' augmentation randomness
cannot be replayed, so a resumed run continues closely rather than exactly.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from tuitrain.data.augment import BatchAugment
from tuitrain.data.badfiles import BadFiles, Log
from tuitrain.data.folder import BadImage, load_image
from tuitrain.data.images import DatasetSet, FileSet, Images
from tuitrain.data.memory import batch_count, finish, to_float
from tuitrain.data.seeding import AUGMENT, ORDER, derive_seed, generator
from tuitrain.data.shard import WHOLE, Shard, global_batch_size
from tuitrain.errors import UserError
from tuitrain.textsafe import printable_path

_SUBSTITUTES = 64
"""Unreadable files in a row after which the data, not a file, is taken to be gone."""
Sample = tuple[Tensor, Tensor, int]


class SampleDataset(Dataset[Sample]):
    """One uint8 C x H x W image and its label per index, with an optional per-image transform,
    and the index of a file that could not be read (-1 when none).

    A file unreadable when its turn comes is replaced by the next readable one in index order:
    the batch keeps its size, and the same indices give the same images, so a step is the same
    whichever worker decodes it. The main process hears of the file through that index."""

    def __init__(self, images: Images, transform: Callable[[Tensor], Tensor] | None) -> None:
        self.images, self.transform = images, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Sample:
        source = self.images
        failed = -1
        if isinstance(source, DatasetSet):
            image, _ = source.reader(int(source.indices[index]))
            label = source.labels[index]
            if tuple(image.shape) != source.item_shape:
                raise ValueError(
                    f"data: {source.reader.name}[{int(source.indices[index])}] has shape "
                    f"{tuple(image.shape)}, unlike the first item's {source.item_shape}; "
                    "set data.image_size to resize every image"
                )
        elif isinstance(source, FileSet):
            image, used = _first_readable(source, index)
            failed = index if used != index else -1
            label = source.labels[used]
        else:
            image, label = source.images[index], source.labels[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, label, failed


def _first_readable(files: FileSet, index: int) -> tuple[Tensor, int]:
    for step in range(min(_SUBSTITUTES, len(files))):
        at = (index + step) % len(files)
        try:
            return load_image(files.paths[at], files.size, files.channels), at
        except BadImage as exc:
            last = exc
    raise UserError(
        f"{min(_SUBSTITUTES, len(files))} image files in a row cannot be read, the last "
        f"{printable_path(last.path)} ({last.reason})",
        hint="check that the data folder is still there and readable",
    )


def report_unreadable(failed: Tensor, files: Images, bad: BadFiles | None, log: Log) -> None:
    """Warn once about each file a batch had to replace (`failed` is on the CPU: no sync)."""
    if bad is None or not isinstance(files, FileSet) or not bool((failed >= 0).any()):
        return
    for index in failed[failed >= 0].tolist():
        bad.during_training(files.paths[index], log)


class EpochSampler(Sampler[int]):
    """Indices of one epoch, seeded by (seed, epoch), from a chosen batch on.

    With several ranks it is the distributed sampler: every rank draws the same permutation
    and takes its share of each global batch (see tuitrain.data.shard), so the ranks' batches
    at a step together hold the images a single process would train on at that step.
    """

    def __init__(
        self,
        size: int,
        *,
        shuffle: bool,
        seed: int,
        batch_size: int,
        drop_last: bool = False,
        shard: Shard = WHOLE,
    ) -> None:
        self.size, self.shuffle, self.seed, self.shard = size, shuffle, seed, shard
        self.batch_size = batch_size
        self.batches = batch_count(size, batch_size, drop_last)
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        self.epoch, self.start_batch = epoch, start_batch

    def __len__(self) -> int:
        return sum(len(range(*self._share(k))) for k in range(self.start_batch, self.batches))

    def _share(self, batch: int) -> tuple[int, int]:
        start, end = self.shard.bounds(global_batch_size(self.size, self.batch_size, batch))
        offset = batch * self.batch_size
        return offset + start, offset + end

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            cpu = torch.device("cpu")
            gen = generator(cpu, self.seed, ORDER, self.epoch)
            order = torch.randperm(self.size, generator=gen)
        else:
            order = torch.arange(self.size)
        shares = [order[slice(*self._share(k))] for k in range(self.start_batch, self.batches)]
        return iter(torch.cat(shares).tolist() if shares else [])


def resolve_workers(workers: int | str) -> int:
    """'auto' is one worker per core this process may run on."""
    if workers != "auto":
        return int(workers)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _worker_context() -> multiprocessing.context.BaseContext | None:
    """Where workers come from. The trainer runs in a thread beside the interface, and forking
    a threaded process can deadlock the child; so workers fork from a clean server process that
    has imported torch and this module once (later workers then start in milliseconds)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None  # the platform default (spawn on macOS and Windows)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def make_loader(
    dataset: Dataset[Sample],
    *,
    batch_size: int,
    workers: int,
    device: torch.device,
    sampler: Sampler[int] | None = None,
    drop_last: bool = False,
    persistent: bool = True,
) -> DataLoader[Sample]:
    if workers == 0:  # the worker settings are refused without workers
        return DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=sampler,
            drop_last=drop_last,
            pin_memory=device.type == "cuda",
        )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        drop_last=drop_last,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        multiprocessing_context=_worker_context(),
        persistent_workers=persistent,
    )


class StreamTrainLoader:
    def __init__(
        self,
        dataset: SampleDataset,
        *,
        batch_size: int,
        shuffle: bool,
        drop_last: bool,
        seed: int,
        workers: int,
        device: torch.device,
        batch_augment: BatchAugment,
        channels_last: bool = False,
        shard: Shard = WHOLE,
        bad: BadFiles | None = None,
        log: Log = lambda message: None,
    ) -> None:
        self.dataset, self.bad, self.log = dataset, bad, log
        self.device, self.seed, self.batch_size = device, seed, batch_size
        self.batch_augment, self.channels_last = batch_augment, channels_last
        self.sampler = EpochSampler(
            len(dataset),
            shuffle=shuffle,
            seed=seed,
            batch_size=batch_size,
            drop_last=drop_last,
            shard=shard,
        )
        # The sampler already holds whole batches only, cut into this rank's shares; the last
        # share may be shorter (never empty: see check_shares).
        self.loader = make_loader(
            dataset,
            batch_size=batch_size // shard.count,
            workers=workers,
            device=device,
            sampler=self.sampler,
        )
        self.batches_per_epoch = batch_count(len(dataset), batch_size, drop_last)

    def epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        self.sampler.set_epoch(epoch, start_batch)
        gen = torch.Generator(device=self.device)
        for k, (images, labels, failed) in enumerate(self.loader, start_batch):
            report_unreadable(failed, self.dataset.images, self.bad, self.log)
            x = to_float(images.to(self.device, non_blocking=True))
            y = labels.to(self.device, non_blocking=True)
            gen.manual_seed(derive_seed(self.seed, AUGMENT, epoch, k))
            x, y = self.batch_augment(x, y, gen)
            yield finish(x, self.channels_last), y


class StreamEvalLoader:
    """Fixed order, no augmentation, int64 targets; normalization on the device."""

    def __init__(
        self,
        dataset: SampleDataset,
        *,
        batch_size: int,
        workers: int,
        device: torch.device,
        normalize: Callable[[Tensor], Tensor],
        channels_last: bool = False,
        shard: Shard = WHOLE,
        bad: BadFiles | None = None,
        log: Log = lambda message: None,
    ) -> None:
        self.dataset, self.bad, self.log = dataset, bad, log
        self.device, self.normalize, self.channels_last = device, normalize, channels_last
        start, end = shard.bounds(len(dataset))  # each rank validates its own share
        share = Subset(dataset, range(start, end)) if not shard.whole else dataset
        self.loader = make_loader(share, batch_size=batch_size, workers=workers, device=device)
        self.batches = batch_count(end - start, batch_size, drop_last=False)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        for images, labels, failed in self.loader:
            report_unreadable(failed, self.dataset.images, self.bad, self.log)
            x = self.normalize(to_float(images.to(self.device, non_blocking=True)))
            yield finish(x, self.channels_last), labels.to(self.device, non_blocking=True)
