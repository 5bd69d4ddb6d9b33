"""What prepare_data hands the trainer: the loaders and the facts about the data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from torch import Tensor


class TrainLoader(Protocol):
    batches_per_epoch: int

    def epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """Batches of epoch `epoch` (0-based) from batch `start_batch` on.

        x: float32, normalized, N x C x H x W on the device (channels_last when asked).
        y: int64 class indices (N,), or float32 soft targets (N, num_classes) summing to 1 per
        row when mixup or cutmix is on. On the memory path, re-running epoch(e, k) reproduces
        the same batches bit for bit.
        """
        ...


class EvalLoader(Protocol):
    batches: int

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        """Fixed order, no augmentation, int64 targets."""
        ...


@dataclass
class PreparedData:
    train: TrainLoader
    val: EvalLoader | None
    num_classes: int
    class_names: list[str]
    image_shape: tuple[int, int, int]
    """C, H, W as fed to the model."""
    train_size: int
    val_size: int
    mean: tuple[float, ...]
    """Per channel, 0..1 scale, as used (computed or given; zeros for none)."""
    std: tuple[float, ...]
    loader: str
    """'memory' or 'stream'."""
    exact_resume: bool
    """True on the memory path: order and augmentation are functions of (seed, epoch, batch)."""
