"""The user's own datasets, from a preset's `data.target` or handed to tuitrain.fit().

The in-memory path is taken when the stacked uint8 images fit the memory budget (one pass
reads every item, checks it and stacks it); otherwise the items are read by the streaming
loader, and only their labels are read up front (from a `targets` attribute when the dataset
has one, as torchvision's do).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from tuitrain.config.data import GivenCommon, PythonData
from tuitrain.data import capacity
from tuitrain.data.images import DatasetSet, Images, ImageSet
from tuitrain.data.items import ItemReader, check_labels
from tuitrain.usercode import UserCodeError, import_target, reported

Log = Callable[[str], None]
EXPECTED_RETURN = (
    "tuitrain expects the data target to return (train, val) (val may be None) or a dict with "
    "'train' and optional 'val' and 'classes', each a map-style Dataset of (image, label)"
)


def call_data_target(data: PythonData) -> tuple[Any, Any, list[str] | None]:
    """Import and call data.target; (train, val, classes) from what it returned."""
    found, target = import_target(data.target, "data.target")
    if not callable(found):
        raise UserCodeError(f"data.target: {target.shown} is not callable; {EXPECTED_RETURN}")
    with reported(f"data: {target.shown}(**data.args) failed"):
        result = found(**data.args)
    if isinstance(result, dict):
        unknown = sorted(set(result) - {"train", "val", "classes"})
        if "train" not in result or unknown:
            raise UserCodeError(
                f"data.target: {target.shown} returned a dict with keys {sorted(result)}; "
                f"{EXPECTED_RETURN}"
            )
        return result["train"], result.get("val"), _names(result.get("classes"), target.shown)
    if isinstance(result, tuple | list) and len(result) == 2:
        return result[0], result[1], None
    raise UserCodeError(
        f"data.target: {target.shown} returned a {type(result).__name__}; {EXPECTED_RETURN}"
    )


def _names(classes: Any, shown: str) -> list[str] | None:
    if classes is None:
        return None
    if not isinstance(classes, list | tuple) or not classes:
        raise UserCodeError(f"data.target: {shown} returned 'classes' that is not a list of names")
    return [str(name) for name in classes]


def _check_dataset(dataset: Any, name: str) -> int:
    if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise UserCodeError(
            f"data: the {name} set is a {type(dataset).__name__}, not a map-style Dataset "
            "(with __len__ and __getitem__)"
        )
    with reported(f"data: len() of the {name} set failed"):
        size = len(dataset)
    if size == 0:
        raise UserCodeError(f"data: the {name} set is empty")
    return int(size)


def class_names(train: Any, given: list[str] | None, labels: torch.Tensor) -> list[str]:
    """From what the target returned, else the train set's `classes`, else numbered."""
    if given is not None:
        return given
    own = getattr(train, "classes", None)
    if isinstance(own, list | tuple) and own and all(isinstance(n, str) for n in own):
        return list(own)
    return [str(k) for k in range(int(labels.max()) + 1)]


def dataset_images(
    dataset: Any, name: str, data: GivenCommon, log: Log
) -> tuple[Images, torch.Tensor]:
    """The set as Images (stacked when it fits, else read by the loader), and its labels."""
    size = _check_dataset(dataset, name)
    reader = ItemReader(dataset, name, data.image_size)
    first, _ = reader(0)
    shape = (int(first.shape[0]), int(first.shape[1]), int(first.shape[2]))
    nbytes = size * first.numel()
    if data.loader == "memory" or (
        data.loader == "auto" and capacity.fits(nbytes, torch.device("cpu"))
    ):
        images = stack(reader, size, shape, log)
        return images, images.labels
    labels = _labels(dataset, reader, size, log)
    return DatasetSet(reader, torch.arange(size), labels, shape), labels


def stack(reader: ItemReader, size: int, shape: tuple[int, int, int], log: Log) -> ImageSet:
    """One pass over the items into one uint8 tensor, each checked on the way."""
    log(f"reading the {size} {reader.name} images into memory")
    started = time.monotonic()
    images = torch.empty((size, *shape), dtype=torch.uint8)
    labels = torch.empty(size, dtype=torch.int64)
    for index in range(size):
        image, label = reader(index)
        if image.shape != images.shape[1:]:
            raise UserCodeError(
                f"data: {reader.name}[{index}] has shape {tuple(image.shape)}, unlike the first "
                f"item's {shape}; set data.image_size to resize every image to one size"
            )
        images[index], labels[index] = image, label
    log(f"read {size} {reader.name} images in {time.monotonic() - started:.1f} s")
    return ImageSet(images, labels)


def _labels(dataset: Any, reader: ItemReader, size: int, log: Log) -> torch.Tensor:
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        try:
            labels = torch.as_tensor(targets, dtype=torch.int64)
        except (TypeError, ValueError, RuntimeError):
            labels = None
        if labels is not None and labels.shape == (size,):
            return labels
    log(f"reading the labels of the {size} {reader.name} items")
    return torch.tensor([reader(index)[1] for index in range(size)], dtype=torch.int64)


def datasets_source(
    train: Any, val: Any, classes: list[str] | None, data: GivenCommon, log: Log
) -> tuple[Images, Images | None, list[str]]:
    """(train images, val images or None, class names) of the user's datasets."""
    train_images, train_labels = dataset_images(train, "train", data, log)
    val_images = None
    if val is not None:
        val_images, val_labels = dataset_images(val, "val", data, log)
        if val_images.shape != train_images.shape:
            raise UserCodeError(
                f"data: val images have shape {val_images.shape}, train images "
                f"{train_images.shape}; set data.image_size to resize both to one size"
            )
    names = class_names(train, classes, train_labels)
    check_labels(train_labels, len(names), "train")
    if val_images is not None:
        check_labels(val_labels, len(names), "val")
    return train_images, val_images, names
