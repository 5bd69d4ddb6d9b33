"""Bars, sparklines and cut paths for the panels (numbers and durations: tuitrain/words.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def bar(fraction: float | None, width: int) -> str:
    """A bar of full and light blocks; readable without colour."""
    if width <= 0:
        return ""
    fraction = 0.0 if fraction is None or not math.isfinite(fraction) else fraction
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def sparkline(values: Sequence[float | None], width: int, log: bool = False) -> str:
    """The newest `width` values as block characters (a gap for missing values)."""
    if width <= 0:
        return ""
    recent = list(values)[-width:]
    if log:
        recent = [math.log10(v) if v is not None and v > 0 else None for v in recent]
    finite = [v for v in recent if v is not None and math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    top = len(BLOCKS) - 1
    chars = []
    for value in recent:
        if value is None or not math.isfinite(value):
            chars.append(" ")
        elif high - low <= 1e-9 * max(1.0, abs(high)):  # flat, up to rounding in the means
            chars.append(BLOCKS[top // 2])
        else:
            chars.append(BLOCKS[round((value - low) / (high - low) * top)])
    return "".join(chars)


def tail(text: str, width: int) -> str:
    """Keep the end of a path-like text, which is the part that tells runs apart."""
    if width <= 0:
        return ""
    return text if len(text) <= width else "…" + text[-(width - 1) :]
