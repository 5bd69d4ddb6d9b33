"""Short, fixed-width renderings of numbers, durations, bars and sparklines for the panels."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def duration(seconds: float | None) -> str:
    """`1:02:03`, `2:03` or `--` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 100:
        return f"{hours / 24:.0f}d"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "--"
    return f"{value:.{digits}g}"


def percent(value: float | None) -> str:
    """An accuracy in 0..1 as `81.2%`."""
    if value is None or not math.isfinite(value):
        return "--"
    return f"{100 * value:.1f}%"


def points(value: float | None) -> str:
    """A difference of accuracies as signed percentage points."""
    if value is None or not math.isfinite(value):
        return "--"
    return f"{100 * value:+.1f} pts"


def lr(value: float | None) -> str:
    """A learning rate: `0.05`, `0.00125`, `3e-05`."""
    if value is None or not math.isfinite(value):
        return "--"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def rate(value: float | None) -> str:
    """Images per second, grouped: `12,345`."""
    if value is None or not math.isfinite(value):
        return "--"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def count(value: int) -> str:
    """A large count, compact: `11.2M`, `512k`, `900`."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


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


def clip(text: str, width: int) -> str:
    """Cut text to `width` cells, marking the cut with an ellipsis."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def tail(text: str, width: int) -> str:
    """Keep the end of a path-like text, which is the part that tells runs apart."""
    if width <= 0:
        return ""
    return text if len(text) <= width else "…" + text[-(width - 1) :]
