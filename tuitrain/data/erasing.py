"""Random erasing over a batch, as torchvision's RandomErasing but per sample in one pass.

torchvision tries up to 10 random boxes until one fits inside the image; here all 10
candidates are drawn at once and the first that fits is used, so no sample loops and no host
sync. Boxes are filled with `value`: 0 after normalization is the channel mean.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from tuitrain.config.augment import Erasing
from tuitrain.data.mixing import box_mask
from tuitrain.data.sampling import bernoulli, uniform

_ATTEMPTS = 10


def erasing_boxes(
    n: int, cfg: Erasing, height: int, width: int, gen: torch.Generator, device: torch.device
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Boxes (top, bottom, left, right) and whether each sample has one that fits."""
    shape = (n, _ATTEMPTS)
    area = height * width * uniform(shape, cfg.scale[0], cfg.scale[1], gen, device)
    log_ratio = uniform(shape, math.log(cfg.ratio[0]), math.log(cfg.ratio[1]), gen, device)
    ratio = log_ratio.exp()
    box_h = (area * ratio).sqrt().round()
    box_w = (area / ratio).sqrt().round()
    fits = (box_h < height) & (box_w < width)
    first = fits.to(torch.uint8).argmax(1, keepdim=True)
    box_h, box_w = box_h.gather(1, first).squeeze(1), box_w.gather(1, first).squeeze(1)
    corner = uniform((n, 2), 0.0, 1.0, gen, device)
    top = (corner[:, 0] * (height - box_h + 1)).floor().clamp_max(height - box_h)
    left = (corner[:, 1] * (width - box_w + 1)).floor().clamp_max(width - box_w)
    return top, top + box_h, left, left + box_w, fits.any(1)


def random_erasing(x: Tensor, cfg: Erasing, gen: torch.Generator, value: float = 0.0) -> Tensor:
    n, _, h, w = x.shape
    top, bottom, left, right, fits = erasing_boxes(n, cfg, h, w, gen, x.device)
    chosen = bernoulli(n, cfg.p, gen, x.device) & fits
    mask = box_mask(top, bottom, left, right, h, w) & chosen[:, None, None, None]
    return x.masked_fill(mask, value)
