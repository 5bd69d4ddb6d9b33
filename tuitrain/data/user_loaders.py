"""DataLoaders handed to tuitrain.fit(), used as they are: their batches, order, transforms.

tuitrain only moves each batch to the device (uint8 images scaled to 0..1); it neither
normalizes nor augments them, since the loader's own transforms already decided that. Resuming
mid-epoch skips the batches already trained, so it continues closely rather than exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor

from tuitrain.data.memory import finish
from tuitrain.data.prepared import PreparedData
from tuitrain.errors import UserError
from tuitrain.usercode import reported

Log = Callable[[str], None]


def _to_device(x: Any, y: Any, device: torch.device, channels_last: bool) -> tuple[Tensor, Tensor]:
    if not isinstance(x, Tensor) or not isinstance(y, Tensor) or x.ndim != 4:
        raise UserError(
            "a batch of the DataLoader is not (images N x C x H x W, labels N) as tensors"
        )
    x = x.to(device, non_blocking=True)
    x = x.float().div_(255) if x.dtype == torch.uint8 else x.float()
    return finish(x, channels_last), y.to(device, non_blocking=True).long()


class UserTrainLoader:
    def __init__(self, loader: Any, device: torch.device, channels_last: bool) -> None:
        self.loader, self.device, self.channels_last = loader, device, channels_last
        self.batches_per_epoch = len(loader)

    def epoch(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        set_epoch = getattr(getattr(self.loader, "sampler", None), "set_epoch", None)
        if callable(set_epoch):
            set_epoch(epoch)  # a DistributedSampler's own reshuffle
        for k, (x, y) in enumerate(self.loader):
            if k >= start_batch:
                yield _to_device(x, y, self.device, self.channels_last)


class UserEvalLoader:
    def __init__(self, loader: Any, device: torch.device, channels_last: bool) -> None:
        self.loader, self.device, self.channels_last = loader, device, channels_last
        self.batches = len(loader)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        for x, y in self.loader:
            yield _to_device(x, y, self.device, self.channels_last)


def _size(loader: Any) -> int:
    dataset = getattr(loader, "dataset", None)
    try:
        return len(dataset) if dataset is not None else len(loader) * (loader.batch_size or 1)
    except TypeError:
        return len(loader) * (loader.batch_size or 1)


def user_loaders(
    train: Any,
    val: Any,
    classes: list[str] | None,
    *,
    device: torch.device,
    channels_last: bool,
    log: Log,
) -> PreparedData:
    """The PreparedData of the user's DataLoaders; the class names must be known."""
    names = classes or list(getattr(getattr(train, "dataset", None), "classes", None) or [])
    if not names:
        raise UserError(
            "tuitrain.fit needs the class names with DataLoaders: pass classes=[...] (or give "
            "the loader's dataset a classes attribute)"
        )
    with reported("data: the train DataLoader failed on its first batch"):
        x, _ = next(iter(train))
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise UserError("the train DataLoader's batches are not (N x C x H x W images, labels)")
    c, h, w = (int(v) for v in x.shape[1:])
    log("training on the DataLoaders as given: their batches, order and transforms")
    return PreparedData(
        train=UserTrainLoader(train, device, channels_last),
        val=UserEvalLoader(val, device, channels_last) if val is not None else None,
        num_classes=len(names),
        class_names=[str(n) for n in names],
        image_shape=(c, h, w),
        train_size=_size(train),
        val_size=_size(val) if val is not None else 0,
        mean=(0.0,) * c,
        std=(1.0,) * c,
        loader="given",
        exact_resume=False,
    )
