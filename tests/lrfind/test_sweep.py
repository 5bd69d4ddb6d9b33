"""The range test on a real small problem, against a grid of short fixed-rate runs."""

from __future__ import annotations

import math
from pathlib import Path

from tests.conftest import tiny
from tests.lrfind.colors import color_sections
from tuitrain.lrfind.suggest import DEFAULT_RULE, smooth, suggest
from tuitrain.lrfind.sweep import SweepSettings, diverged_at, run_sweep

GRID = [0.01, 0.0316, 0.1, 0.316, 1.0]


def grid_best(sections: dict, steps: int = 40) -> float:  # type: ignore[type-arg]
    """The grid rate whose run ends lowest (mean loss of its last ten steps)."""
    final = {}
    for lr in GRID:
        fixed = run_sweep(tiny(**sections), SweepSettings(lr, lr, steps, stop_factor=1e12))
        tail = fixed.losses[-10:]
        final[lr] = sum(tail) / len(tail) if len(fixed.losses) == steps else math.inf
    return min(final, key=lambda lr: final[lr])


def test_the_suggestion_is_within_3x_of_the_best_grid_rate(colors: Path) -> None:
    sections = color_sections(colors, kind="sgd", lr=0.1, momentum=0.9)
    sweep = run_sweep(tiny(**sections), SweepSettings())
    suggested = suggest(sweep.lrs, sweep.losses, sweep.beta)[DEFAULT_RULE].lr
    best = grid_best(sections)
    assert suggested is not None
    assert best / 3 <= suggested <= best * 3, (suggested, best)


def test_the_sweep_stops_early_when_the_loss_diverges(colors: Path) -> None:
    settings = SweepSettings(start_lr=1e-3, end_lr=1e4, steps=100)
    sweep = run_sweep(tiny(**color_sections(colors)), settings)
    assert sweep.stopped_early
    assert len(sweep.lrs) < settings.steps
    smoothed = smooth(sweep.losses, sweep.beta)
    last = sweep.losses[-1]
    assert not math.isfinite(last) or smoothed[-1] > 4 * min(smoothed[:-1])
    assert sweep.lrs == [settings.rate(i) for i in range(len(sweep.lrs))]


def test_divergence_is_the_first_step_past_the_factor_or_not_finite() -> None:
    assert diverged_at([2.0, 1.0, 1.0, 1.0], 4.0, beta=0.0) is None
    assert diverged_at([2.0, 1.0, 3.0, 4.5, 9.0], 4.0, beta=0.0) == 3
    assert diverged_at([2.0, 1.0, math.nan, 1.0], 4.0, beta=0.0) == 2
