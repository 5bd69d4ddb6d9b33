"""What the preset's augmentation does to training images: originals beside augmented copies.

The copies come from the same batch augmentation the in-memory training path runs (crop,
flip, affine, colour, then mixing and erasing), so what the preview shows is what training
sees. Pixels are centred on the sample's channel means while mixing and erasing run, exactly
as training normalizes before those steps: erasing then fills with the mean colour, as it does
in training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from tuitrain.config.preset import Preset
from tuitrain.data.augment import BatchAugment
from tuitrain.data.images import Images, ImageSet, first
from tuitrain.data.seeding import AUGMENT, derive_seed
from tuitrain.data.sources import load_source
from tuitrain.data.stream import SampleDataset
from tuitrain.errors import UserError
from tuitrain.pictures.tiles import Tile, from_unit, to_rgb

Log = Callable[[str], None]


@dataclass(frozen=True)
class PreviewRequest:
    images: int = 6
    copies: int = 4
    class_index: int | None = None
    """Only images of this class; None for any class."""
    seed: int = 0
    augment: bool = True


class PreviewData:
    """The preset's training images, loaded once, to draw previews of again and again."""

    def __init__(self, preset: Preset, log: Log = lambda message: None) -> None:
        source = load_source(preset.data, log)
        self.images: Images = first(source.train, preset.data.train_subset)
        self.class_names = list(source.class_names)
        self.config = preset.augment

    @property
    def augmentations(self) -> list[str]:
        return self.config.enabled()

    def class_index(self, name: str) -> int:
        """The index of a class given by name or number, or a UserError listing the classes."""
        if name in self.class_names:
            return self.class_names.index(name)
        if name.isdigit() and int(name) < len(self.class_names):
            return int(name)
        listed = ", ".join(self.class_names[:20])
        raise UserError(f"no class {name!r} in this data", hint=f"classes: {listed}")

    def draw(self, request: PreviewRequest) -> list[list[Tile]]:
        """One row per picked image: the original, then `copies` augmented versions."""
        index = self._pick(request)
        originals = self._pixels(index)
        labels = self.images.labels[index]
        rows = [
            [Tile(to_rgb(image), self._name(int(label)))]
            for image, label in zip(originals.numpy(), labels.tolist(), strict=True)
        ]
        if request.augment and self.augmentations:
            for copy in range(request.copies):
                pixels, targets = self._augmented(originals, labels, request.seed, copy)
                for row, image, target in zip(rows, pixels, targets, strict=True):
                    row.append(Tile(to_rgb(image), self._caption(target)))
        return rows

    def _pick(self, request: PreviewRequest) -> torch.Tensor:
        labels = self.images.labels
        pool = torch.arange(len(labels))
        if request.class_index is not None:
            pool = pool[labels == request.class_index]
        if len(pool) == 0:
            raise UserError(f"the training set has no image of class {request.class_index}")
        gen = torch.Generator().manual_seed(request.seed)
        return pool[torch.randperm(len(pool), generator=gen)[: request.images]]

    def _pixels(self, index: torch.Tensor) -> torch.Tensor:
        """uint8 N x C x H x W of the picked images, decoded as training decodes them (files,
        a user's Dataset, or images already in memory)."""
        if isinstance(self.images, ImageSet):
            return self.images.images[index]
        items = SampleDataset(self.images, None)
        return torch.stack([items[i][0] for i in index.tolist()])

    def _augmented(
        self, originals: torch.Tensor, labels: torch.Tensor, seed: int, copy: int
    ) -> tuple[np.ndarray, np.ndarray]:
        x = originals.float().div_(255)
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        augment = BatchAugment(self.config, len(self.class_names), lambda batch: batch - mean)
        gen = torch.Generator().manual_seed(derive_seed(seed, AUGMENT, copy))
        out, targets = augment(x, labels, gen)
        return from_unit((out + mean).numpy()), targets.numpy()

    def _name(self, label: int) -> str:
        names = self.class_names
        return names[label] if label < len(names) else str(label)

    def _caption(self, target: np.ndarray) -> str:
        """A class name, or for mixed images the two largest label weights."""
        if target.ndim == 0:
            return self._name(int(target))
        order = np.argsort(-target)
        first, second = int(order[0]), int(order[1]) if len(order) > 1 else None
        if second is None or target[second] < 0.005:
            return self._name(first)
        return (
            f"{self._name(first)} {target[first]:.0%} + {self._name(second)} {target[second]:.0%}"
        )
