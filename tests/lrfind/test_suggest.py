"""The suggestion rules on curves whose answer is known."""

from __future__ import annotations

import math

import pytest

from tuitrain.lrfind.suggest import MIN_FALL, fall, smooth, steepest, suggest, valley


def sweep_curve(n: int = 100) -> tuple[list[float], list[float]]:
    """Loss falls as a logistic in log10(lr) centred on 1e-2, then blows up past 1."""
    lrs = [1e-6 * 10 ** (7 * i / (n - 1)) for i in range(n)]
    losses = []
    for lr in lrs:
        x = math.log10(lr)
        fall = 2.0 - 1.5 / (1 + math.exp(-3 * (x + 2)))
        losses.append(fall + (max(0.0, x) * 10) ** 2)
    return lrs, losses


def test_smoothing_is_debiased_and_lags() -> None:
    assert smooth([3.0, 3.0, 3.0], beta=0.9) == pytest.approx([3.0, 3.0, 3.0])
    assert smooth([1.0, 0.0], beta=0.5) == pytest.approx([1.0, 1 / 3])


def test_steepest_is_the_inflection_of_the_fall() -> None:
    lrs, losses = sweep_curve()
    index = steepest(lrs, losses)
    assert index is not None
    assert abs(math.log10(lrs[index]) + 2) < 0.15


def test_valley_is_the_cautious_rate_within_the_fall() -> None:
    lrs, losses = sweep_curve()
    index, steep = valley(lrs, losses), steepest(lrs, losses)
    assert index is not None and steep is not None
    assert index < steep  # lower than the steepest point, on the same fall
    assert losses[index] < losses[0]


def test_a_loss_that_never_falls_gets_no_suggestion() -> None:
    lrs = [10 ** (i / 10) for i in range(50)]
    rising = [1.0 + i * 0.1 for i in range(50)]
    assert {s.lr for s in suggest(lrs, rising).values()} == {None}


def test_a_flat_noisy_loss_gets_no_suggestion() -> None:
    lrs = [10 ** (i / 10) for i in range(60)]
    flat = [2.3 + 0.02 * ((i * 7) % 5 - 2) for i in range(60)]  # 1% wiggles, no fall
    assert fall(smooth(flat)) < MIN_FALL
    assert {s.lr for s in suggest(lrs, flat).values()} == {None}
