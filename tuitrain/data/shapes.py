"""The embedded dataset: ten kinds of shapes drawn procedurally, deterministic from a seed.

Each image is a shape at a random position, size and angle, in a random colour over a random
background gradient, behind which lie a few random strokes, plus Gaussian pixel noise. Colour
and position carry no class information, so a linear model on raw pixels does poorly while a
small CNN learns the outlines. Drawing is vectorized: distance fields over a pixel grid, a chunk
of images at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from tuitrain.data.images import ImageSet
from tuitrain.data.sdf import SHAPES
from tuitrain.data.seeding import DRAW, derive_seed

CLASS_NAMES = list(SHAPES)
_CHUNK = 1024
"""Images drawn at once: big enough to amortize kernel launches, small enough for the cache."""


@dataclass(frozen=True)
class _Params:
    """Per-image drawing parameters, all drawn up front so chunking cannot change them."""

    labels: Tensor  # (n,)
    center: Tensor  # (n, 2) pixels
    radius: Tensor  # (n,) pixels
    angle: Tensor  # (n,)
    background: Tensor  # (n, 3)
    foreground: Tensor  # (n, 3)
    gradient: Tensor  # (n, 2): direction times amplitude
    strokes: Tensor  # (n, k, 4): x0, y0, x1, y1 in pixels
    stroke_width: Tensor  # (n, k) half widths in pixels
    stroke_colour: Tensor  # (n, k, 3)

    def chunk(self, start: int, stop: int) -> _Params:
        values = {name: getattr(self, name)[start:stop] for name in self.__dataclass_fields__}
        return _Params(**values)


def _draw_params(n: int, size: int, clutter: int, gen: torch.Generator) -> _Params:
    def rand(*shape: int) -> Tensor:
        return torch.rand(shape, generator=gen)

    classes = len(CLASS_NAMES)
    labels = (torch.arange(n) % classes)[torch.randperm(n, generator=gen)]
    radius = size * (0.22 + 0.16 * rand(n))
    margin = 0.75 * radius[:, None]
    center = margin + (size - 2 * margin) * rand(n, 2)
    background = rand(n, 3)
    # Every channel differs from the background by 0.3..0.7 (wrapping): always visible.
    foreground = torch.remainder(background + 0.3 + 0.4 * rand(n, 3), 1.0)
    direction = 2 * math.pi * rand(n)
    amplitude = 0.3 * rand(n)
    gradient = torch.stack([direction.cos(), direction.sin()], 1) * amplitude[:, None]
    return _Params(
        labels=labels,
        center=center,
        radius=radius,
        angle=2 * math.pi * rand(n),
        background=background,
        foreground=foreground,
        gradient=gradient,
        strokes=size * rand(n, clutter, 4),
        stroke_width=0.5 + 0.8 * rand(n, clutter),
        stroke_colour=rand(n, clutter, 3),
    )


def _segment_alpha(px: Tensor, py: Tensor, seg: Tensor, half_width: Tensor) -> Tensor:
    """Coverage (m, S, S) of one anti-aliased stroke per image; seg (m, 4), half_width (m,)."""
    x0, y0, x1, y1 = (seg[:, i, None, None] for i in range(4))
    bx, by = x1 - x0, y1 - y0
    ax, ay = px - x0, py - y0
    h = ((ax * bx + ay * by) / (bx * bx + by * by + 1e-6)).clamp(0, 1)
    dist = torch.hypot(ax - bx * h, ay - by * h)
    return (half_width[:, None, None] + 0.5 - dist).clamp(0, 1)


def _shape_alpha(px: Tensor, py: Tensor, p: _Params) -> Tensor:
    """Coverage (m, S, S) of each image's shape, one distance field per class."""
    dx = px - p.center[:, 0, None, None]
    dy = py - p.center[:, 1, None, None]
    cos, sin = p.angle.cos()[:, None, None], p.angle.sin()[:, None, None]
    r = p.radius[:, None, None]
    u, v = (cos * dx + sin * dy) / r, (cos * dy - sin * dx) / r
    dist = torch.empty_like(u)
    for label, sdf in enumerate(SHAPES.values()):
        rows = (p.labels == label).nonzero().squeeze(1)
        dist[rows] = sdf(u[rows], v[rows]) * r[rows]
    return (0.5 - dist).clamp(0, 1)


def _render(p: _Params, size: int, noise: float, gen: torch.Generator) -> Tensor:
    m = p.labels.shape[0]
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    py, px = coords[None, :, None], coords[None, None, :]
    ramp = p.gradient[:, 0, None, None] * (px / size - 0.5)
    ramp = ramp + p.gradient[:, 1, None, None] * (py / size - 0.5)
    img = p.background[:, :, None, None] + ramp[:, None]
    for k in range(p.strokes.shape[1]):
        alpha = _segment_alpha(px, py, p.strokes[:, k], p.stroke_width[:, k])[:, None]
        img = torch.lerp(img, p.stroke_colour[:, k, :, None, None], alpha)
    alpha = _shape_alpha(px, py, p)[:, None]
    img = torch.lerp(img, p.foreground[:, :, None, None], alpha)
    if noise > 0:
        img = img + noise * torch.randn((m, 3, size, size), generator=gen)
    return (img * 255).round_().clamp_(0, 255).to(torch.uint8)


def draw_shapes(
    count: int, *, image_size: int = 32, seed: int = 0, noise: float = 0.08, clutter: int = 3
) -> ImageSet:
    """`count` shape images, uint8 count x 3 x S x S, with balanced labels; same seed, same set."""
    gen = torch.Generator().manual_seed(derive_seed(seed, DRAW))
    params = _draw_params(count, image_size, clutter, gen)
    images = torch.empty((count, 3, image_size, image_size), dtype=torch.uint8)
    for start in range(0, count, _CHUNK):
        stop = min(count, start + _CHUNK)
        images[start:stop] = _render(params.chunk(start, stop), image_size, noise, gen)
    return ImageSet(images, params.labels)
