import pytest
import torch

from tuitrain.config.augment import Erasing
from tuitrain.data.erasing import random_erasing


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_erasing_rate_area_and_aspect_stay_in_range() -> None:
    n, h, w = 2500, 32, 32
    x = torch.ones(n, 3, h, w)
    cfg = Erasing(p=0.4, scale=(0.05, 0.2), ratio=(0.5, 2.0))
    out = random_erasing(x, cfg, gen())
    erased = out[:, 0] == 0
    assert (out[:, 0] == out[:, 1]).all() and (out[:, 1] == out[:, 2]).all()
    hit = erased.flatten(1).any(1)
    assert hit.float().mean().item() == pytest.approx(0.4, abs=0.03)
    rows = erased.any(2).sum(1)[hit].float()
    cols = erased.any(1).sum(1)[hit].float()
    area = erased.flatten(1).sum(1)[hit].float()
    assert torch.equal(area, rows * cols)  # one rectangle
    # sides are rounded to whole pixels: allow half a pixel on each
    low = ((0.05 * h * w) ** 0.5 - 0.5) ** 2 / (h * w)
    high = ((0.2 * h * w) ** 0.5 + 0.5) ** 2 / (h * w)
    share = area / (h * w)
    assert share.min() >= low and share.max() <= high
    aspect = rows / cols
    assert aspect.min() >= 0.5 * 0.8 and aspect.max() <= 2.0 * 1.25
    assert share.std() > 0.02  # sizes vary from sample to sample


def test_erasing_fills_the_given_value_and_p_zero_is_identity() -> None:
    x = torch.rand(64, 3, 16, 16, generator=gen())
    assert torch.equal(random_erasing(x, Erasing(p=0.0), gen()), x)
    out = random_erasing(x, Erasing(p=1.0), gen(), value=-7.0)
    changed = out != x
    assert (out[changed] == -7.0).all()
    assert changed.flatten(1).any(1).float().mean() > 0.95


def test_boxes_that_cannot_fit_erase_nothing() -> None:
    x = torch.ones(200, 1, 8, 8)
    out = random_erasing(x, Erasing(p=1.0, scale=(1.0, 1.0), ratio=(4.0, 4.0)), gen())
    assert torch.equal(out, x)
