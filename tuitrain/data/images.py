"""Image collections before batching: decoded uint8 tensors, or files read on demand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch


@dataclass(frozen=True)
class ImageSet:
    """Decoded images: uint8 N x C x H x W on the CPU, int64 labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        assert self.images.dtype == torch.uint8 and self.images.ndim == 4
        assert self.labels.dtype == torch.int64 and self.labels.shape == self.images.shape[:1]

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def shape(self) -> tuple[int, int, int]:
        c, h, w = self.images.shape[1:]
        return (c, h, w)

    @property
    def nbytes(self) -> int:
        return self.images.numel()

    def take(self, indices: torch.Tensor) -> ImageSet:
        return ImageSet(self.images[indices], self.labels[indices])


@dataclass(frozen=True)
class FileSet:
    """Image files decoded one at a time, resized to size x size with `channels` channels."""

    paths: tuple[Path, ...]
    labels: torch.Tensor
    size: int
    channels: int

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)

    @property
    def nbytes(self) -> int:
        """Bytes the decoded images would take as uint8."""
        return len(self.paths) * self.channels * self.size * self.size

    def take(self, indices: torch.Tensor) -> FileSet:
        picked = tuple(self.paths[i] for i in indices.tolist())
        return FileSet(picked, self.labels[indices], self.size, self.channels)


@dataclass(frozen=True)
class DatasetSet:
    """Items of a user's Dataset read one at a time (`reader` checks and converts them), at
    the positions `indices`; their labels were read once, up front."""

    reader: Any
    """An ItemReader: index -> (uint8 C x H x W tensor, int label)."""
    indices: torch.Tensor
    labels: torch.Tensor
    item_shape: tuple[int, int, int]

    def __len__(self) -> int:
        return self.indices.shape[0]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.item_shape

    @property
    def nbytes(self) -> int:
        c, h, w = self.item_shape
        return len(self) * c * h * w

    def take(self, indices: torch.Tensor) -> DatasetSet:
        return DatasetSet(self.reader, self.indices[indices], self.labels[indices], self.item_shape)


Images = ImageSet | FileSet | DatasetSet


def first(images: Images, count: int | None) -> Images:
    """The first `count` items (all of them when count is None or larger)."""
    if count is None or count >= len(images):
        return images
    return images.take(torch.arange(count))


def split_indices(
    labels: torch.Tensor, fraction: float, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, val) index tensors holding out `fraction` of the items, class by class.

    Each class gives about `fraction` of its items to validation (so a rare class is not left
    out by chance); both parts come back in a random order, so "the first N" of either part is
    a mixed sample rather than one class.
    """
    n = labels.shape[0]
    n_val = min(n - 1, max(1, round(fraction * n)))
    perm = torch.randperm(n, generator=gen)
    shuffled = labels[perm]
    order = torch.argsort(shuffled, stable=True)
    counts = torch.bincount(shuffled)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty(n, dtype=torch.int64)
    rank[order] = torch.arange(n) - starts[shuffled[order]]
    # Fractional rank inside the class: the lowest `fraction` of every class comes first.
    key = (rank.double() + 0.5) / counts[shuffled].double()
    by_key = torch.argsort(key, stable=True)
    val_pos, train_pos = by_key[:n_val].sort().values, by_key[n_val:].sort().values
    return perm[train_pos], perm[val_pos]
