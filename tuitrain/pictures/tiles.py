"""A tile is one picture with its caption: the unit every grid of images is made of."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Pixels = np.ndarray
"""uint8 H x W x 3 (RGB); grayscale images are repeated to three channels."""


@dataclass(frozen=True)
class Pictures:
    """uint8 N x H x W x 3 pixels, with what each one is, as plain numbers."""

    images: np.ndarray
    labels: list[int]
    """The true class (a mixed training image: its largest weight's class)."""
    predicted: list[int]
    """The predicted class; for a training batch, the second class of a mixed image or -1."""
    confidence: list[float]
    """The predicted class's probability; for a training batch, the first class's weight."""
    total: int
    """Mistakes: how many the validation made in all; a batch: its size."""


@dataclass(frozen=True)
class Tile:
    pixels: Pixels
    caption: str


def to_rgb(image: np.ndarray) -> Pixels:
    """uint8 C x H x W (C = 1 or 3) as H x W x 3, the layout PIL and terminals draw."""
    if image.ndim != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected C x H x W with 1 or 3 channels, got shape {image.shape}")
    hwc = np.ascontiguousarray(np.transpose(image, (1, 2, 0)))
    return np.repeat(hwc, 3, axis=2) if hwc.shape[2] == 1 else hwc


def from_unit(images: np.ndarray) -> np.ndarray:
    """Float pixels on the 0..1 scale to uint8, rounded and clipped."""
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)


def resize_nearest(pixels: Pixels, width: int, height: int) -> Pixels:
    """Scale by picking the nearest source pixel: crisp at any factor, exact at 1."""
    h, w = pixels.shape[:2]
    rows = np.minimum((np.arange(height) + 0.5) * h / height, h - 1).astype(np.int64)
    cols = np.minimum((np.arange(width) + 0.5) * w / width, w - 1).astype(np.int64)
    picked: Pixels = pixels[rows][:, cols]
    return picked


def fit_cells(shape: tuple[int, int], cols: int, rows: int) -> tuple[int, int]:
    """The largest (width, height) in pixels for a picture of `shape` (h, w) inside cols x rows
    cells drawn as half blocks (one pixel wide, two pixels tall per cell), keeping its aspect."""
    h, w = shape
    scale = min(cols / w, (2 * rows) / h)
    width = max(1, min(cols, round(w * scale)))
    height = max(2, min(2 * rows, round(h * scale)))
    return width, height + height % 2


def caption_lines(caption: str) -> list[str]:
    """At most two lines: 'cat 60% + dog 40%' becomes 'cat 60%' and '+ dog 40%'."""
    first, plus, rest = caption.partition(" + ")
    return [first, f"+ {rest}"] if plus else [first]
