"""CIFAR-10/100, MNIST and Fashion-MNIST through torchvision, straight to uint8 tensors.

torchvision keeps each of these whole in memory (`.data`, `.targets`), so the images are
converted in one go rather than item by item through __getitem__.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torchvision import datasets

from tuitrain.config.data import TorchvisionData
from tuitrain.data.images import ImageSet
from tuitrain.errors import UserError

_DATASETS: dict[str, type[datasets.VisionDataset]] = {
    "cifar10": datasets.CIFAR10,
    "cifar100": datasets.CIFAR100,
    "mnist": datasets.MNIST,
    "fashion_mnist": datasets.FashionMNIST,
}


def _kind(data: TorchvisionData) -> str:
    """The dataset's name: each kind of TorchvisionData (cifar10, mnist, ...) sets its own."""
    return str(getattr(data, "kind"))  # noqa: B009 (the base class declares no kind)


def _open(data: TorchvisionData, train: bool) -> datasets.VisionDataset:
    kind, root = _kind(data), data.root
    split = "training" if train else "test"
    try:
        return _DATASETS[kind](root=str(root), train=train, download=data.download)
    except Exception as error:
        if not data.download:
            raise UserError(
                f"the {kind} {split} set was not found (or is incomplete) in {root}",
                hint="set data.download: true to fetch it, or point data.root at the folder "
                "that holds it",
            ) from error
        raise UserError(
            f"could not download the {kind} {split} set into {root}: {error}",
            hint=f"check the network connection, or copy the dataset into {root} by hand "
            "and set data.download: false",
        ) from error


def _as_images(dataset: datasets.VisionDataset) -> ImageSet:
    raw = dataset.data
    if isinstance(raw, np.ndarray):  # CIFAR: N x H x W x C
        images = torch.from_numpy(raw).permute(0, 3, 1, 2)
    else:  # MNIST-style: N x H x W
        images = raw.unsqueeze(1)
    labels = torch.as_tensor(dataset.targets, dtype=torch.int64)
    return ImageSet(images.to(torch.uint8).contiguous(), labels)


def load_torchvision(
    data: TorchvisionData, log: Callable[[str], None]
) -> tuple[ImageSet, ImageSet, list[str]]:
    """(training set, official test set, class names)."""
    kind = _kind(data)
    log(f"{'finding or downloading' if data.download else 'loading'} {kind} in {data.root}")
    train = _open(data, train=True)
    test = _open(data, train=False)
    return _as_images(train), _as_images(test), list(train.classes)
