"""Mixup and cutmix over a batch, with soft targets.

Each sample is paired with the sample a random permutation of the batch puts in its place and
gets its own lambda ~ Beta(alpha, alpha). When both are on, each sample uses one of them at
random. Targets become lam * onehot(y) + (1 - lam) * onehot(y[partner]); for cutmix lam is the
share of the image the box actually leaves untouched, after clipping at the border.
"""

from __future__ import annotations

import torch
from torch import Tensor

from tuitrain.config.augment import Cutmix, Mixup
from tuitrain.data.sampling import bernoulli, beta_variates, uniform


def one_hot(y: Tensor, num_classes: int) -> Tensor:
    """float32 one-hot rows; scatter, because F.one_hot may check its input on the host."""
    out = torch.zeros((y.shape[0], num_classes), device=y.device)
    return out.scatter_(1, y[:, None], 1.0)


def cutmix_boxes(
    lam: Tensor, height: int, width: int, gen: torch.Generator
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-sample boxes (top, bottom, left, right), end-exclusive, covering about 1 - lam."""
    n, device = lam.shape[0], lam.device
    side = (1.0 - lam).sqrt()
    centre = uniform((n, 2), 0.0, 1.0, gen, device)
    cy, cx = centre[:, 0] * height, centre[:, 1] * width
    half_h, half_w = side * height / 2, side * width / 2
    top = (cy - half_h).round().clamp(0, height)
    bottom = (cy + half_h).round().clamp(0, height)
    left = (cx - half_w).round().clamp(0, width)
    right = (cx + half_w).round().clamp(0, width)
    return top, bottom, left, right


def box_mask(top: Tensor, bottom: Tensor, left: Tensor, right: Tensor, h: int, w: int) -> Tensor:
    """(n, 1, h, w) booleans, True inside each sample's box."""
    rows = torch.arange(h, device=top.device)[None, :]
    cols = torch.arange(w, device=top.device)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < bottom[:, None])
    in_cols = (cols >= left[:, None]) & (cols < right[:, None])
    return (in_rows[:, :, None] & in_cols[:, None, :])[:, None]


class Mixer:
    """Mixup and/or cutmix; returns the mixed batch and float soft targets."""

    def __init__(self, mixup: Mixup | None, cutmix: Cutmix | None, num_classes: int) -> None:
        assert mixup is not None or cutmix is not None
        self.mixup, self.cutmix, self.num_classes = mixup, cutmix, num_classes

    def __call__(self, x: Tensor, y: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        n, _, h, w = x.shape
        device = x.device
        partner = torch.randperm(n, generator=gen, device=device)
        if self.mixup is not None and self.cutmix is not None:
            use_cut = bernoulli(n, 0.5, gen, device)
        else:
            use_cut = torch.full((n,), self.cutmix is not None, device=device)
        ones = torch.ones(n, device=device)
        lam_mix, lam_cut, inside = (
            ones,
            ones,
            torch.zeros((n, 1, h, w), dtype=torch.bool, device=device),
        )
        if self.mixup is not None:
            chosen = bernoulli(n, self.mixup.p, gen, device) & ~use_cut
            lam_mix = torch.where(chosen, beta_variates(n, self.mixup.alpha, gen, device), 1.0)
        if self.cutmix is not None:
            chosen = bernoulli(n, self.cutmix.p, gen, device) & use_cut
            lam = torch.where(chosen, beta_variates(n, self.cutmix.alpha, gen, device), 1.0)
            top, bottom, left, right = cutmix_boxes(lam, h, w, gen)
            inside = box_mask(top, bottom, left, right, h, w)
            lam_cut = 1.0 - (bottom - top) * (right - left) / (h * w)
        other = x[partner]
        lam_x = lam_mix[:, None, None, None]
        mixed = torch.where(inside, other, lam_x * x + (1.0 - lam_x) * other)
        lam = torch.where(use_cut, lam_cut, lam_mix)[:, None]
        targets = one_hot(y, self.num_classes)
        return mixed, lam * targets + (1.0 - lam) * targets[partner]
