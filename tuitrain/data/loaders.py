"""Building the train and validation loaders of either path from the resolved choices."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from tuitrain.config.augment import Augment
from tuitrain.config.data import DataSection
from tuitrain.data.augment import BatchAugment
from tuitrain.data.badfiles import BadFiles, Log
from tuitrain.data.images import Images, ImageSet
from tuitrain.data.memory import MemoryEvalLoader, MemoryTrainLoader
from tuitrain.data.prepared import EvalLoader, TrainLoader
from tuitrain.data.shard import WHOLE, Shard
from tuitrain.data.stats import Normalizer
from tuitrain.data.stream import SampleDataset, StreamEvalLoader, StreamTrainLoader
from tuitrain.data.transforms import sample_transform

Loaders = tuple[TrainLoader, EvalLoader | None]


@dataclass(frozen=True)
class LoaderPlan:
    """Everything both paths need, resolved: no 'auto' left."""

    data: DataSection
    augment: Augment
    seed: int
    device: torch.device
    channels_last: bool
    normalize: Normalizer
    num_classes: int
    mean: tuple[float, ...]
    workers: int
    shard: Shard = WHOLE
    """This rank's share of every batch and of the validation set."""
    bad: BadFiles | None = None
    """Where files found unreadable while training are counted and listed."""
    log: Log = field(default=lambda message: None)

    @property
    def eval_batch_size(self) -> int:
        return self.data.eval_batch_size or 2 * self.data.batch_size


def memory_loaders(plan: LoaderPlan, train: ImageSet, val: ImageSet | None) -> Loaders:
    """The uint8 images move to the device once; everything per batch happens there."""
    data = plan.data
    train_loader = MemoryTrainLoader(
        train.images.to(plan.device),
        train.labels.to(plan.device),
        batch_size=data.batch_size,
        shuffle=data.shuffle,
        drop_last=data.drop_last,
        seed=plan.seed,
        augment=BatchAugment(plan.augment, plan.num_classes, plan.normalize),
        channels_last=plan.channels_last,
        shard=plan.shard,
    )
    if val is None:
        return train_loader, None
    val_loader = MemoryEvalLoader(
        val.images.to(plan.device),
        val.labels.to(plan.device),
        batch_size=plan.eval_batch_size,
        normalize=plan.normalize,
        channels_last=plan.channels_last,
        shard=plan.shard,
    )
    return train_loader, val_loader


def stream_loaders(plan: LoaderPlan, train: Images, val: Images | None) -> Loaders:
    """Per-image augmentations run in the workers; mixing and normalization on the device."""
    data, augment = plan.data, plan.augment
    per_sample = sample_transform(augment, train.shape[1:], plan.mean)
    batch_only = Augment(mixup=augment.mixup, cutmix=augment.cutmix)
    train_loader = StreamTrainLoader(
        SampleDataset(train, per_sample),
        batch_size=data.batch_size,
        shuffle=data.shuffle,
        drop_last=data.drop_last,
        seed=plan.seed,
        workers=plan.workers,
        device=plan.device,
        batch_augment=BatchAugment(batch_only, plan.num_classes, plan.normalize),
        channels_last=plan.channels_last,
        shard=plan.shard,
        bad=plan.bad,
        log=plan.log,
    )
    if val is None:
        return train_loader, None
    val_loader = StreamEvalLoader(
        SampleDataset(val, None),
        batch_size=plan.eval_batch_size,
        workers=plan.workers,
        device=plan.device,
        normalize=plan.normalize,
        channels_last=plan.channels_last,
        shard=plan.shard,
        bad=plan.bad,
        log=plan.log,
    )
    return train_loader, val_loader
