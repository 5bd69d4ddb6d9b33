"""Batched per-sample colour jitter on 0..1 images, following torchvision's definitions.

brightness blends with black, contrast with the mean grey level, saturation with the greyscale
image, sharpness with a 3x3 smoothed copy (border pixels kept); every blend is clamped to 0..1.
Factors are uniform in [max(0, 1 - s), 1 + s] per sample; a factor of exactly 1 is the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from tuitrain.config.augment import Color
from tuitrain.data.sampling import bernoulli, uniform


def grey(x: Tensor) -> Tensor:
    """ITU-R 601-2 luma, as torchvision's rgb_to_grayscale; (N, 1, H, W)."""
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def blend(a: Tensor, b: Tensor, ratio: Tensor) -> Tensor:
    """ratio * a + (1 - ratio) * b, clamped. torch.lerp computes weights >= 0.5 as
    a - (a - b) * (1 - ratio), so ratio == 1 returns a exactly: unchosen samples stay as is."""
    return torch.lerp(b, a, ratio).clamp_(0.0, 1.0)


def grey_mean(x: Tensor) -> Tensor:
    """Mean grey level per sample (N, 1, 1, 1): the luma of the channel means, same number."""
    means = x.mean((2, 3))
    if x.shape[1] == 1:
        return means[:, :, None, None]
    luma = 0.2989 * means[:, 0] + 0.587 * means[:, 1] + 0.114 * means[:, 2]
    return luma[:, None, None, None]


def smoothed(x: Tensor) -> Tensor:
    """torchvision's sharpness reference image: 3x3 smoothing inside, original border."""
    c = x.shape[1]
    # Built on the device: copying a CPU constant over would stall the host on every batch.
    kernel = torch.ones((3, 3), device=x.device, dtype=x.dtype)
    kernel[1, 1] = 5.0
    kernel = (kernel / 13).expand(c, 1, 3, 3)
    inner = F.conv2d(x, kernel, groups=c)
    return F.pad(inner, (1, 1, 1, 1)) + x * _border_mask(x)


def _border_mask(x: Tensor) -> Tensor:
    h, w = x.shape[2:]
    rows = torch.arange(h, device=x.device)
    cols = torch.arange(w, device=x.device)
    inner_rows = (rows > 0) & (rows < h - 1)
    inner_cols = (cols > 0) & (cols < w - 1)
    return (~(inner_rows[:, None] & inner_cols[None, :])).to(x.dtype)


def _factors(n: int, strength: float, chosen: Tensor, gen: torch.Generator) -> Tensor:
    f = uniform((n,), max(0.0, 1.0 - strength), 1.0 + strength, gen, chosen.device)
    return torch.where(chosen, f, 1.0)[:, None, None, None]


def random_color(x: Tensor, cfg: Color, gen: torch.Generator) -> Tensor:
    n = x.shape[0]
    chosen = bernoulli(n, cfg.p, gen, x.device)
    if cfg.brightness > 0:
        x = (x * _factors(n, cfg.brightness, chosen, gen)).clamp_(0.0, 1.0)
    if cfg.contrast > 0:
        x = blend(x, grey_mean(x), _factors(n, cfg.contrast, chosen, gen))
    if cfg.saturation > 0 and x.shape[1] == 3:
        x = blend(x, grey(x), _factors(n, cfg.saturation, chosen, gen))
    if cfg.sharpness > 0 and min(x.shape[2:]) > 2:
        x = blend(x, smoothed(x), _factors(n, cfg.sharpness, chosen, gen))
    return x
