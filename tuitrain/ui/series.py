"""A bounded time series: however many points arrive, it holds at most `capacity` buckets.

A training run may report a million steps; the monitor must draw the millionth as fast as the
first. Points are appended into buckets of `span` raw points each (min, max, sum, count); when
the buckets fill up, neighbours are merged pairwise and `span` doubles. Memory stays bounded,
appends stay O(1) amortized, and min/max survive every merge so a loss spike never vanishes
from the plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isfinite


@dataclass(frozen=True)
class Column:
    """What one plot column shows: the x it sits at and the range of values that fell in it."""

    x: float
    low: float
    high: float
    mean: float


class BucketSeries:
    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.capacity = capacity
        self.span = 1
        """Raw points per full bucket."""
        self.total = 0
        """Points appended since the start."""
        self._x0: list[float] = []
        self._x1: list[float] = []
        self._low: list[float] = []
        self._high: list[float] = []
        self._sum: list[float] = []
        self._count: list[int] = []

    def __len__(self) -> int:
        return len(self._count)

    def append(self, x: float, y: float | None) -> None:
        """Add a point; None, NaN and infinities are skipped (they cannot be drawn)."""
        if y is None or not isfinite(y):
            return
        self.total += 1
        count = self._count
        # Called for every step report of a long run: kept to plain comparisons.
        if count and count[-1] < self.span and x >= self._x1[-1]:
            self._x1[-1] = x
            if y < self._low[-1]:
                self._low[-1] = y
            elif y > self._high[-1]:
                self._high[-1] = y
            self._sum[-1] += y
            count[-1] += 1
            return
        if len(count) == self.capacity:
            self._halve()
        self._x0.append(x)
        self._x1.append(x)
        self._low.append(y)
        self._high.append(y)
        self._sum.append(y)
        self._count.append(1)

    def _halve(self) -> None:
        """Merge neighbouring buckets: half the buckets, each twice as wide."""
        self._x0 = self._x0[0::2]
        self._x1 = self._x1[1::2]
        self._low = [min(a, b) for a, b in zip(self._low[0::2], self._low[1::2], strict=True)]
        self._high = [max(a, b) for a, b in zip(self._high[0::2], self._high[1::2], strict=True)]
        self._sum = [a + b for a, b in zip(self._sum[0::2], self._sum[1::2], strict=True)]
        self._count = [a + b for a, b in zip(self._count[0::2], self._count[1::2], strict=True)]
        self.span *= 2

    @property
    def last(self) -> float | None:
        """The newest bucket's mean (the newest value while the series is short)."""
        return self._sum[-1] / self._count[-1] if self._count else None

    def x_range(self) -> tuple[float, float] | None:
        # x goes back after a NaN roll-back restores an earlier step, so take min and max.
        return (min(self._x0), max(self._x1)) if self._count else None

    def means(self) -> list[tuple[float, float]]:
        """Every bucket as (x, mean): exact points while fewer than `capacity` have arrived."""
        return [
            ((a + b) / 2, s / n)
            for a, b, s, n in zip(self._x0, self._x1, self._sum, self._count, strict=True)
        ]

    def columns(self, width: int, lo: float | None = None, hi: float | None = None) -> list[Column]:
        """At most `width` columns spread evenly over x in [lo, hi] (the series' own range by
        default); each keeps the min and max of the buckets that fall in it. Buckets are
        binned by x, not by order, so a stretch drawn twice (after a roll-back) shares columns."""
        span = self.x_range()
        if span is None or width < 1:
            return []
        lo = span[0] if lo is None else lo
        hi = span[1] if hi is None else hi
        scale = width / (hi - lo) if hi > lo else 0.0
        low: list[float | None] = [None] * width
        high = [0.0] * width
        total = [0.0] * width
        count = [0] * width
        xsum = [0.0] * width
        for a, b, bl, bh, s, n in zip(
            self._x0, self._x1, self._low, self._high, self._sum, self._count, strict=True
        ):
            x = (a + b) / 2
            if x < lo or x > hi:
                continue
            i = min(width - 1, int((x - lo) * scale))
            current = low[i]
            if current is None:
                low[i], high[i] = bl, bh
            else:
                low[i], high[i] = min(current, bl), max(high[i], bh)
            total[i] += s
            count[i] += n
            xsum[i] += x * n
        return [
            Column(xsum[i] / count[i], low_i, high[i], total[i] / count[i])
            for i, low_i in enumerate(low)
            if low_i is not None
        ]


def envelope(columns: list[Column]) -> tuple[list[float], list[float]]:
    """Points for a line that visits each column's low and high, so spikes stay visible."""
    xs: list[float] = []
    ys: list[float] = []
    for column in columns:
        if column.low == column.high:
            xs.append(column.x)
            ys.append(column.low)  # the value itself: a mean of equal values can drift an ulp
        else:
            xs.extend((column.x, column.x))
            ys.extend((column.low, column.high))
    return xs, ys
