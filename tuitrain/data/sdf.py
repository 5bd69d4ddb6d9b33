"""Signed distance functions of the embedded shapes, in a canonical frame of radius about 1.

Negative inside, positive outside, in canonical units; the drawing scales them to pixels for an
anti-aliased edge. No two classes are rotations or mirror images of each other, since every
shape is drawn at a random angle (a square and a diamond would be the same class).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

Sdf = Callable[[Tensor, Tensor], Tensor]


def _box(u: Tensor, v: Tensor, half_u: float, half_v: float) -> Tensor:
    qu, qv = u.abs() - half_u, v.abs() - half_v
    outside = torch.hypot(qu.clamp_min(0), qv.clamp_min(0))
    return outside + torch.maximum(qu, qv).clamp_max(0)


def _regular_polygon(u: Tensor, v: Tensor, sides: int, radius: float) -> Tensor:
    """Distance to the nearest edge line: exact along the edges, which is what the edge needs."""
    sector = 2 * math.pi / sides
    angle = torch.remainder(torch.atan2(v, u), sector) - sector / 2
    return torch.hypot(u, v) * torch.cos(angle) - radius * math.cos(math.pi / sides)


def _star(u: Tensor, v: Tensor, points: int, radius: float, sharpness: float) -> Tensor:
    """Inigo Quilez's exact star distance; sharpness in [2, points], 2 gives a polygon."""
    an, en = math.pi / points, math.pi / sharpness
    acx, acy, ecx, ecy = math.cos(an), math.sin(an), math.cos(en), math.sin(en)
    bn = torch.remainder(torch.atan2(u, v), 2 * an) - an
    rho = torch.hypot(u, v)
    px = rho * torch.cos(bn) - radius * acx
    py = rho * torch.sin(bn).abs() - radius * acy
    t = (-(px * ecx + py * ecy)).clamp(0, radius * acy / ecy)
    px, py = px + ecx * t, py + ecy * t
    return torch.hypot(px, py) * torch.sign(px)


def _half_planes(u: Tensor, v: Tensor, corners: list[tuple[float, float]]) -> Tensor:
    """Convex polygon (corners counter-clockwise) as the largest signed edge distance."""
    result = None
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = (y1 - y0) / length, -(x1 - x0) / length  # outward normal
        d = (u - x0) * nx + (v - y0) * ny
        result = d if result is None else torch.maximum(result, d)
    assert result is not None
    return result


def circle(u: Tensor, v: Tensor) -> Tensor:
    return torch.hypot(u, v) - 0.9


def ring(u: Tensor, v: Tensor) -> Tensor:
    return (torch.hypot(u, v) - 0.68).abs() - 0.24


def square(u: Tensor, v: Tensor) -> Tensor:
    return _regular_polygon(u, v, 4, 1.0)


def triangle(u: Tensor, v: Tensor) -> Tensor:
    return _regular_polygon(u, v, 3, 1.05)


def heart(u: Tensor, v: Tensor) -> Tensor:
    """Inigo Quilez's exact heart (tip at the origin), centred and scaled to radius about 1."""
    scale = 1.6
    x, y = u.abs() / scale, v / scale + 0.55
    lobe = torch.hypot(x - 0.25, y - 0.75) - math.sqrt(2) / 4
    foot = 0.5 * (x + y).clamp_min(0)
    to_tip = torch.minimum(x * x + (y - 1) ** 2, (x - foot) ** 2 + (y - foot) ** 2)
    body = to_tip.sqrt() * torch.sign(x - y)
    return torch.where(x + y > 1, lobe, body) * scale


def cross(u: Tensor, v: Tensor) -> Tensor:
    return torch.minimum(_box(u, v, 0.95, 0.27), _box(u, v, 0.27, 0.95))


def star(u: Tensor, v: Tensor) -> Tensor:
    return _star(u, v, 5, 1.0, 3.2)


def crescent(u: Tensor, v: Tensor) -> Tensor:
    bite = torch.hypot(u - 0.45, v) - 0.75
    return torch.maximum(torch.hypot(u, v) - 0.92, -bite)


def ellipse(u: Tensor, v: Tensor) -> Tensor:
    # Scaled implicit distance: not exact, but close enough at the edge for anti-aliasing.
    return (torch.hypot(u, v / 0.45) - 1.0) * 0.45


def arrow(u: Tensor, v: Tensor) -> Tensor:
    shaft = _box(u + 0.35, v, 0.55, 0.15)
    head = _half_planes(u, v, [(1.0, 0.0), (0.15, 0.62), (0.15, -0.62)])
    return torch.minimum(shaft, head)


SHAPES: dict[str, Sdf] = {
    "circle": circle,
    "ring": ring,
    "square": square,
    "triangle": triangle,
    "heart": heart,
    "cross": cross,
    "star": star,
    "crescent": crescent,
    "ellipse": ellipse,
    "arrow": arrow,
}
