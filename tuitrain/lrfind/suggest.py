"""Reading a learning-rate sweep: the smoothed loss curve and the rates it suggests.

Plain Python on lists of floats (no torch), so the rules are cheap to test and to reuse on a
sweep read back from disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_RULE = "steepest"
"""The rule whose rate is printed as the suggestion. Measured against grids of short runs at
fixed rates (docs/lr-find.md, tests/lrfind), the steepest descent of the smoothed loss lands
within a factor of 3 of the grid's best rate, for SGD with and without momentum and for Adam;
fastai's valley lands a decade or more below it every time. The valley stays on offer as the
cautious choice: a rate that trains slower but is far from the edge."""


def smoothing(points: int) -> float:
    """Weight of the past in the loss's moving average: an average over about a twentieth of
    the sweep. fastai and Lightning fix it at 0.98, a 50-step memory: over their 100-step
    sweeps that lags the curve by half its length, and moves every suggestion down by decades."""
    return min(0.98, max(0.5, 1 - 20 / max(points, 1)))


def smooth(losses: Sequence[float], beta: float | None = None) -> list[float]:
    """Exponential moving average, debiased so the first values are not pulled towards 0;
    `beta` defaults to smoothing(len(losses))."""
    beta = smoothing(len(losses)) if beta is None else beta
    average, out = 0.0, []
    for i, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta**i))
    return out


def lowest(smoothed: Sequence[float]) -> int:
    """Index of the smoothed loss's minimum (the first, when it repeats)."""
    return min(range(len(smoothed)), key=lambda i: smoothed[i])


def steepest(lrs: Sequence[float], smoothed: Sequence[float]) -> int | None:
    """Where the smoothed loss falls fastest against log10(lr), on the way down to its
    minimum. The slope spans a twenty-fifth of the sweep on each side (single steps are
    noise); the first tenth is skipped while the average settles, and everything past the
    minimum, where a falling loss is the recovery from a blow-up, not learning."""
    n = len(smoothed)
    if n < 3:
        return None
    half = max(1, n // 25)
    slopes = {}
    for i in range(max(half, n // 10), lowest(smoothed)):
        before, after = max(0, i - half), min(n - 1, i + half)
        run = math.log10(lrs[after]) - math.log10(lrs[before])
        slopes[i] = (smoothed[after] - smoothed[before]) / run
    if not slopes:
        return None
    best = min(slopes, key=lambda i: slopes[i])
    return best if slopes[best] < 0 else None


def valley(lrs: Sequence[float], smoothed: Sequence[float]) -> int | None:
    """fastai's valley: the longest run of points, up to the minimum, over which the smoothed
    loss keeps falling (a longest decreasing subsequence), and the point halfway along its
    middle third."""
    n = lowest(smoothed) + 1 if smoothed else 0
    if n < 3:
        return None
    length = [1] * n
    for i in range(1, n):
        for j in range(i):
            if smoothed[i] < smoothed[j] and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
    end = max(range(n), key=lambda i: length[i])  # the first longest, as fastai picks it
    # The subsequence may skip points; its span is taken as the valley, as fastai does.
    start = max(0, end - length[end])
    if end - start < 2:
        return None
    third = (end - start) / 3
    return start + int(third) + int(third / 2)


RULES: dict[str, Callable[[Sequence[float], Sequence[float]], int | None]] = {
    "steepest": steepest,
    "valley": valley,
}


MIN_FALL = 0.05
"""A sweep whose smoothed loss never falls below its start by this fraction has seen noise,
not learning: its slopes suggest nothing."""


def fall(smoothed: Sequence[float]) -> float:
    """How far the smoothed loss fell below its first value, as a fraction of it."""
    if not smoothed or smoothed[0] <= 0:
        return 0.0
    return max(0.0, 1 - min(smoothed) / smoothed[0])


@dataclass(frozen=True)
class Suggestion:
    rule: str
    lr: float | None
    """None when the sweep never saw the loss fall (too short, or a range all too high)."""
    index: int | None


def suggest(
    lrs: Sequence[float], losses: Sequence[float], beta: float | None = None
) -> dict[str, Suggestion]:
    """Every rule's suggestion for a sweep, by rule name, the default first; none at all when
    the loss did not fall by MIN_FALL."""
    smoothed = smooth(losses, beta)
    learned = fall(smoothed) >= MIN_FALL
    out = {}
    for name, rule in RULES.items():
        index = rule(lrs, smoothed) if learned else None
        out[name] = Suggestion(name, None if index is None else lrs[index], index)
    return out
