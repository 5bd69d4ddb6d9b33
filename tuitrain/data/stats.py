"""Input normalization: per-channel statistics and the device-side transform that uses them."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

from tuitrain.config.data import ComputedNorm, GivenNorm, Normalize
from tuitrain.errors import UserError

Stats = tuple[tuple[float, ...], tuple[float, ...]]


def channel_stats(batches: Iterable[Tensor]) -> Stats:
    """Mean and (population) std per channel on the 0..1 scale from uint8 N x C x H x W batches.

    Sums run in float64 so millions of pixels add up without drift.
    """
    total = squares = None
    count = 0
    for batch in batches:
        pixels = batch.to(torch.float64).div_(255)
        s, q = pixels.sum((0, 2, 3)), pixels.square_().sum((0, 2, 3))
        total = s if total is None else total + s
        squares = q if squares is None else squares + q
        count += batch.shape[0] * batch.shape[2] * batch.shape[3]
    if total is None or squares is None or count == 0:
        raise ValueError("no images to measure")
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt()
    return tuple(mean.tolist()), tuple(std.tolist())


def uint8_chunks(images: Tensor, values: int = 2**22) -> Iterable[Tensor]:
    """Slices of about `values` numbers each, so float64 copies stay small (32 MiB)."""
    step = max(1, values // max(1, math.prod(images.shape[1:])))
    for start in range(0, images.shape[0], step):
        yield images[start : start + step]


def given_stats(normalize: Normalize, channels: int) -> Stats | None:
    """The statistics the preset fixes (given or none), or None when they are to be computed."""
    if isinstance(normalize, ComputedNorm):
        return None
    if isinstance(normalize, GivenNorm):
        stats = (tuple(normalize.mean), tuple(normalize.std))
        check_stats(stats, channels, "data.normalize")
        return stats
    return (0.0,) * channels, (1.0,) * channels


def check_stats(stats: Stats, channels: int, origin: str) -> None:
    mean, std = stats
    if len(mean) != channels or len(std) != channels:
        raise UserError(
            f"{origin} has {len(mean)} mean and {len(std)} std values, "
            f"but the images have {channels} channel{'s' if channels > 1 else ''}",
            hint=f"give one mean and one std per channel in {origin}"
            if origin == "data.normalize"
            else "resume with the dataset the checkpoint was trained on",
        )
    if any(value <= 0 for value in std):
        raise UserError(f"{origin} has a std of 0", hint="every channel needs a std above 0")


class Normalizer:
    """(x - mean) / std per channel with the statistics kept on the batches' device."""

    def __init__(self, stats: Stats, device: torch.device) -> None:
        mean, std = stats
        shape = (1, len(mean), 1, 1)
        self.identity = all(m == 0 for m in mean) and all(s == 1 for s in std)
        self._mean = torch.tensor(mean, dtype=torch.float32, device=device).view(shape)
        self._scale = (1 / torch.tensor(std, dtype=torch.float64)).float().to(device).view(shape)

    def __call__(self, x: Tensor) -> Tensor:
        if self.identity:
            return x
        return (x - self._mean) * self._scale
