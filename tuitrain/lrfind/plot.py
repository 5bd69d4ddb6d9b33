"""Loss against log learning rate as lines of text: drawn in any terminal, over any SSH.

The smoothed loss is the curve (•), single steps are dots (·), the suggested rate a vertical
line (│) under a ▼. Losses past the minimum that rise above everything before it (the blow-up
at the end) are clipped to the top row and shown as ↑, so the interesting part keeps the height.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LABEL = 8
"""Width of the loss labels on the left, the axis included."""


def draw(
    lrs: Sequence[float],
    losses: Sequence[float],
    smoothed: Sequence[float],
    mark: float | None,
    *,
    width: int = 80,
    height: int = 16,
) -> list[str]:
    """`height` lines of at most `width` characters (plot rows, the axis, its labels)."""
    rows, cols = max(3, height - 2), max(10, width - LABEL)
    if not lrs:
        return ["(no steps to draw)"]
    low, high = _loss_range(smoothed)
    left, right = math.log10(lrs[0]), math.log10(lrs[-1])
    grid = [[" "] * cols for _ in range(rows)]

    def col(lr: float) -> int:
        span = right - left or 1.0
        return min(cols - 1, max(0, round((math.log10(lr) - left) / span * (cols - 1))))

    def row(loss: float) -> int:
        fraction = (loss - low) / (high - low)
        return min(rows - 1, max(0, round((1 - fraction) * (rows - 1))))

    if mark is not None:
        for r in range(rows):
            grid[r][col(mark)] = "│"
        grid[0][col(mark)] = "▼"
    for lr, loss in zip(lrs, losses, strict=True):
        if math.isfinite(loss) and grid[row(loss)][col(lr)] == " ":
            grid[row(loss)][col(lr)] = "·"
    for lr, loss in zip(lrs, smoothed, strict=True):
        grid[row(loss)][col(lr)] = "↑" if loss > high else "•"
    lines = [
        _label(low + (high - low) * (1 - r / (rows - 1)), r, rows) + "".join(line)
        for r, line in enumerate(grid)
    ]
    lines.append(" " * (LABEL - 1) + "└" + "─" * cols)
    lines.append(" " * LABEL + _decades(left, right, cols))
    return [line.rstrip()[:width] for line in lines]


def _loss_range(smoothed: Sequence[float]) -> tuple[float, float]:
    """From the lowest smoothed loss to the highest before it: past the minimum the curve is
    the blow-up, clipped to the top row."""
    finite = [v for v in smoothed if math.isfinite(v)] or [0.0, 1.0]
    low = min(finite)
    high = max(finite[: finite.index(low) + 1])
    if high - low < 1e-9:
        high = low + 1.0
    return low, high


def _label(value: float, r: int, rows: int) -> str:
    shown = r in (0, rows - 1) or r == rows // 2
    return (f"{value:7.3g}┤" if shown else " " * (LABEL - 1) + "│")[:LABEL]


def _decades(left: float, right: float, cols: int) -> str:
    """1e-6 ... 1e+1 under the columns of each power of ten, as many as fit apart."""
    text = [" "] * cols
    span = right - left or 1.0
    for power in range(math.ceil(left), math.floor(right) + 1):
        label = f"1e{power}"
        at = round((power - left) / span * (cols - 1))
        at = min(at, cols - len(label))
        before = text[max(0, at - 1) : at + len(label) + 1]
        if all(ch == " " for ch in before):
            text[at : at + len(label)] = list(label)
    return "".join(text) + "  lr"
