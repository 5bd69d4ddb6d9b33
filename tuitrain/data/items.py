"""Items of a user's Dataset, checked and turned into what tuitrain's loaders carry.

An item is (image, label): the image a PIL image or a C x H x W (or H x W) tensor, uint8 or
float in 0..1; the label an int. Each becomes a uint8 C x H x W tensor and an int, or a
UserCodeError saying which item of which set is wrong and what was expected.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from tuitrain.usercode import UserCodeError, reported

EXPECTED = (
    "tuitrain expects each item to be (image, label): a PIL image or a CxHxW tensor "
    "(uint8, or float in 0..1), and an int label"
)


@dataclass(frozen=True)
class ItemReader:
    """Reads item `index` of `dataset` ('train' or 'val' in messages), resized to `size`."""

    dataset: Any
    name: str
    size: int | None = None

    def __call__(self, index: int) -> tuple[torch.Tensor, int]:
        where = f"data: {self.name}[{index}]"
        with reported(f"{where} raised in the dataset's __getitem__"):
            item = self.dataset[index]
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise UserCodeError(f"{where} is a {_kind(item)}; {EXPECTED}")
        image, label = item
        return self._image(image, where), _label(label, where)

    def _image(self, image: Any, where: str) -> torch.Tensor:
        if isinstance(image, Image.Image):
            if image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            tensor: torch.Tensor = TF.pil_to_tensor(image)
        elif isinstance(image, torch.Tensor) and image.ndim in (2, 3):
            tensor = _as_uint8(image if image.ndim == 3 else image.unsqueeze(0), where)
        else:
            raise UserCodeError(f"{where} holds an image of type {_kind(image)}; {EXPECTED}")
        if tensor.shape[0] not in (1, 3):
            raise UserCodeError(
                f"{where} is an image of shape {tuple(tensor.shape)}; tuitrain expects 1 or 3 "
                "channels first (C x H x W)"
            )
        if self.size is not None and tuple(tensor.shape[1:]) != (self.size, self.size):
            tensor = TF.resize(tensor, [self.size, self.size], antialias=True)
        return tensor


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} ({value.dtype})"
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _as_uint8(image: torch.Tensor, where: str) -> torch.Tensor:
    if image.dtype == torch.uint8:
        return image
    if not image.is_floating_point():
        raise UserCodeError(f"{where} is an image of dtype {image.dtype}; {EXPECTED}")
    low, high = float(image.min()), float(image.max())
    if low < -0.01 or high > 1.01:
        raise UserCodeError(
            f"{where} is a float image with values {low:.3g}..{high:.3g}; tuitrain expects "
            "0..1 (it normalizes itself: see data.normalize)"
        )
    return image.mul(255).round_().clamp_(0, 255).to(torch.uint8)


def _label(label: Any, where: str) -> int:
    if isinstance(label, torch.Tensor) and label.numel() == 1 and not label.is_floating_point():
        return int(label.item())
    if isinstance(label, numbers.Integral) and not isinstance(label, bool):
        return int(label)
    raise UserCodeError(f"{where} has a label of type {_kind(label)}; {EXPECTED}")


def check_labels(labels: torch.Tensor, num_classes: int, name: str) -> None:
    """Every label is a class index; otherwise the first one that is not, and where."""
    bad = ((labels < 0) | (labels >= num_classes)).nonzero()
    if bad.numel():
        index = int(bad[0, 0])
        raise UserCodeError(
            f"data: {name}[{index}] has label {int(labels[index])}, outside 0..{num_classes - 1} "
            f"({num_classes} classes); tuitrain expects labels 0 to classes - 1"
        )
