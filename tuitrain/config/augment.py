"""The `augment` section: random per-sample transforms of training images. All off by default."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tuitrain.config.base import Section, rule_error

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Strength = Annotated[float, Field(ge=0.0, le=1.0)]
MixAlpha = Annotated[float, Field(gt=0.0, le=100.0)]
Zoom = Annotated[float, Field(gt=0.0, le=4.0)]
Area = Annotated[float, Field(gt=0.0, le=1.0)]
Aspect = Annotated[float, Field(gt=0.0, le=20.0)]


def _ordered_pair(value: tuple[float, float], key: str, kind: str) -> None:
    if value[0] > value[1]:
        raise rule_error((key,), list(value), "needs [low, high] with low <= high", kind)


class Crop(Section):
    """Random crop of the padded image back to its size (translation by up to padding pixels)."""

    padding: Annotated[int, Field(ge=1, le=64)] = 4
    fill: Literal["zeros", "reflect"] = "reflect"
    """How the padding is filled: zeros or a mirror of the border."""


class Flip(Section):
    """Horizontal flip."""

    p: Probability = 0.5


class Affine(Section):
    """Random rotation, translation, scaling and shear."""

    p: Probability = 1.0
    degrees: Annotated[float, Field(ge=0.0, le=180.0)] = 10.0
    translate: Annotated[float, Field(ge=0.0, le=0.5)] = 0.1
    """Largest shift, as a fraction of the image size."""
    scale: tuple[Zoom, Zoom] = (0.9, 1.1)
    """Zoom factor range, [low, high]."""
    shear: Annotated[float, Field(ge=0.0, le=60.0)] = 0.0
    """Largest shear angle in degrees."""

    @model_validator(mode="after")
    def _scale_ordered(self) -> Affine:
        _ordered_pair(self.scale, "scale", "scale_order")
        return self


class Color(Section):
    """Random brightness, contrast, saturation and sharpness, each by up to its strength."""

    p: Probability = 1.0
    brightness: Strength = 0.2
    contrast: Strength = 0.2
    saturation: Strength = 0.2
    sharpness: Strength = 0.0


class Mixup(Section):
    """Blend each image with another and mix their labels; lambda ~ Beta(alpha, alpha)."""

    p: Probability = 1.0
    alpha: MixAlpha = 0.2


class Cutmix(Section):
    """Paste a box from another image and mix labels by its area; lambda ~ Beta(alpha, alpha)."""

    p: Probability = 1.0
    alpha: MixAlpha = 1.0


class Erasing(Section):
    """Random erasing: blank a random rectangle."""

    p: Probability = 0.25
    scale: tuple[Area, Area] = (0.02, 0.33)
    """Area of the rectangle as a fraction of the image, [low, high]."""
    ratio: tuple[Aspect, Aspect] = (0.3, 3.3)
    """Aspect ratio of the rectangle, [low, high]."""

    @model_validator(mode="after")
    def _ranges_ordered(self) -> Erasing:
        _ordered_pair(self.scale, "scale", "scale_order")
        _ordered_pair(self.ratio, "ratio", "ratio_order")
        return self


class Augment(Section):
    """Each augmentation is off (null) unless given; `{}` turns one on with its defaults."""

    crop: Crop | None = None
    flip: Flip | None = None
    affine: Affine | None = None
    color: Color | None = None
    mixup: Mixup | None = None
    cutmix: Cutmix | None = None
    erasing: Erasing | None = None

    def enabled(self) -> list[str]:
        """Names of the augmentations that are on, in the order they are applied."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]
