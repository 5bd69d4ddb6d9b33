"""Per-sample torchvision.transforms.v2 pipelines for the streaming path.

They mirror the batched augmentations of the memory path (same parameters, same definitions)
but run in the loader's worker processes, one uint8 image at a time. Mixup and cutmix need a
whole batch, so they run after collation with the batched code.
"""

from __future__ import annotations

import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from tuitrain.config.augment import Augment


class RandomSharpness:
    """Sharpness factor uniform in [max(0, 1 - s), 1 + s], like the batched colour step."""

    def __init__(self, strength: float) -> None:
        self.low, self.high = max(0.0, 1.0 - strength), 1.0 + strength

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        factor = self.low + (self.high - self.low) * torch.rand(()).item()
        sharpened: torch.Tensor = TF.adjust_sharpness(image, factor)
        return sharpened


def sample_transform(
    augment: Augment, size: tuple[int, int], mean: tuple[float, ...]
) -> v2.Compose | None:
    """The per-image augmentations of the preset, or None when none is on.

    `mean` (0..1 scale) is the erasing fill: on the uint8 image it lands on the channel mean,
    which is what zero after normalization is on the memory path.
    """
    steps: list[object] = []
    if (crop := augment.crop) is not None:
        mode = "reflect" if crop.fill == "reflect" else "constant"
        steps.append(v2.RandomCrop(size, padding=crop.padding, padding_mode=mode))
    if (flip := augment.flip) is not None:
        steps.append(v2.RandomHorizontalFlip(flip.p))
    if (affine := augment.affine) is not None:
        warp = v2.RandomAffine(
            degrees=affine.degrees,
            translate=(affine.translate, affine.translate),
            scale=affine.scale,
            shear=(-affine.shear, affine.shear) if affine.shear else None,
            interpolation=v2.InterpolationMode.BILINEAR,
        )
        steps.append(v2.RandomApply([warp], p=affine.p))
    if (color := augment.color) is not None:
        jitter: list[object] = [v2.ColorJitter(color.brightness, color.contrast, color.saturation)]
        if color.sharpness > 0:
            jitter.append(RandomSharpness(color.sharpness))
        steps.append(v2.RandomApply(jitter, p=color.p))
    if (erasing := augment.erasing) is not None:
        fill = [round(m * 255) for m in mean]
        steps.append(
            v2.RandomErasing(erasing.p, scale=erasing.scale, ratio=erasing.ratio, value=fill)
        )
    return v2.Compose(steps) if steps else None
