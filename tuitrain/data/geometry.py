"""Batched per-sample geometric augmentations: padded crop, horizontal flip, affine warp.

Each draws one set of parameters per sample from the generator it is given and works on the
whole N x C x H x W float batch at once on its device: no loop over samples, no host sync.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from tuitrain.config.augment import Affine, Crop, Flip
from tuitrain.data.sampling import bernoulli, uniform


def crop_offsets(n: int, padding: int, gen: torch.Generator, device: torch.device) -> Tensor:
    """(n, 2) top-left corners (row, col) of the crops in the padded image, 0..2*padding."""
    return torch.randint(0, 2 * padding + 1, (n, 2), generator=gen, device=device)


def crop_at(x: Tensor, offsets: Tensor, padding: int, fill: str) -> Tensor:
    """Pad by `padding` and cut each sample's H x W window at its (row, col) offset."""
    n, c, h, w = x.shape
    mode = "reflect" if fill == "reflect" else "constant"
    padded = F.pad(x, (padding,) * 4, mode=mode)
    rows = offsets[:, 0, None] + torch.arange(h, device=x.device)  # (n, h)
    cols = offsets[:, 1, None] + torch.arange(w, device=x.device)  # (n, w)
    # One gather over the flattened padded plane: index = row * padded width + col.
    flat = (rows[:, :, None] * padded.shape[3] + cols[:, None, :]).view(n, 1, h * w)
    return padded.flatten(2).gather(2, flat.expand(n, c, h * w)).view(n, c, h, w)


def random_crop(x: Tensor, cfg: Crop, gen: torch.Generator) -> Tensor:
    offsets = crop_offsets(x.shape[0], cfg.padding, gen, x.device)
    return crop_at(x, offsets, cfg.padding, cfg.fill)


def random_flip(x: Tensor, cfg: Flip, gen: torch.Generator) -> Tensor:
    flip = bernoulli(x.shape[0], cfg.p, gen, x.device)
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def affine_thetas(
    n: int, cfg: Affine, height: int, width: int, gen: torch.Generator, device: torch.device
) -> Tensor:
    """(n, 2, 3) sampling matrices for F.affine_grid: output coordinates -> input coordinates.

    The forward map, in pixels about the image centre, is translate . rotate . shear . scale;
    the grid needs its inverse, taken in closed form and moved to normalized coordinates.
    """
    angle = uniform((n,), -cfg.degrees, cfg.degrees, gen, device) * (math.pi / 180)
    shift = uniform((n, 2), -cfg.translate, cfg.translate, gen, device)
    zoom = uniform((n,), cfg.scale[0], cfg.scale[1], gen, device)
    shear = uniform((n,), -cfg.shear, cfg.shear, gen, device) * (math.pi / 180)
    cos, sin, tan = angle.cos(), angle.sin(), shear.tan()
    # inverse(R Sh S) = S^-1 Sh^-1 R^-1, Sh = [[1, tan], [0, 1]] (shear along x).
    a = (cos + tan * sin) / zoom
    b = (sin - tan * cos) / zoom
    c = -sin / zoom
    d = cos / zoom
    half_w, half_h = width / 2, height / 2
    tx, ty = shift[:, 0] * width, shift[:, 1] * height
    # In normalized coordinates x_n = x / half_w, y_n = y / half_h (align_corners=False).
    row0 = torch.stack([a, b * half_h / half_w, -(a * tx + b * ty) / half_w], 1)
    row1 = torch.stack([c * half_w / half_h, d, -(c * tx + d * ty) / half_h], 1)
    return torch.stack([row0, row1], 1)


def random_affine(x: Tensor, cfg: Affine, gen: torch.Generator) -> Tensor:
    n, _, h, w = x.shape
    theta = affine_thetas(n, cfg, h, w, gen, x.device)
    chosen = bernoulli(n, cfg.p, gen, x.device)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return torch.where(chosen[:, None, None, None], warped, x)
