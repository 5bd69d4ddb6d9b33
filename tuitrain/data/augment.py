"""The training-batch pipeline: augmentations of the preset, applied per sample on the device.

Order: crop, flip, affine, colour on the 0..1 batch; then normalization; then mixup/cutmix
(linear, so mixing before or after normalization gives the same batch) and erasing (after
normalization, so its zero fill is the channel mean).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from tuitrain.config.augment import Augment
from tuitrain.data.color import random_color
from tuitrain.data.erasing import random_erasing
from tuitrain.data.geometry import random_affine, random_crop, random_flip
from tuitrain.data.mixing import Mixer

Step = Callable[[Tensor, torch.Generator], Tensor]


class BatchAugment:
    """Augments a float N x C x H x W batch (0..1 scale) and its int64 labels.

    `normalize` (x -> normalized x) runs between the pixel and the mixing stages; without it
    the batch stays on the 0..1 scale. Same generator state in, same batch out.
    """

    def __init__(
        self,
        augment: Augment,
        num_classes: int,
        normalize: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.config = augment
        self.num_classes = num_classes
        self.normalize = normalize
        self._pixel_steps = _pixel_steps(augment)
        has_mix = augment.mixup is not None or augment.cutmix is not None
        self._mixer = Mixer(augment.mixup, augment.cutmix, num_classes) if has_mix else None

    @property
    def soft_targets(self) -> bool:
        """Whether targets come back as float (N, num_classes) rows instead of int64 indices."""
        return self._mixer is not None

    @property
    def active(self) -> bool:
        """Whether any augmentation is on (when not, a batch needs no generator)."""
        return bool(self._pixel_steps) or self._mixer is not None or bool(self.config.erasing)

    def __call__(self, x: Tensor, y: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        for step in self._pixel_steps:
            x = step(x, gen)
        if self.normalize is not None:
            x = self.normalize(x)
        if self._mixer is not None:
            x, y = self._mixer(x, y, gen)
        if self.config.erasing is not None:
            x = random_erasing(x, self.config.erasing, gen)
        return x, y


def _pixel_steps(augment: Augment) -> list[Step]:
    steps: list[Step] = []
    if (crop := augment.crop) is not None:
        steps.append(lambda x, gen: random_crop(x, crop, gen))
    if (flip := augment.flip) is not None:
        steps.append(lambda x, gen: random_flip(x, flip, gen))
    if (affine := augment.affine) is not None:
        steps.append(lambda x, gen: random_affine(x, affine, gen))
    if (color := augment.color) is not None:
        steps.append(lambda x, gen: random_color(x, color, gen))
    return steps
