"""What a layer's readings say is wrong: the rules behind the engine's layer warnings and the
marks of the monitor's Layers screen. Plain numbers only (no torch), so the monitor can use
them without the engine's internals."""

from __future__ import annotations

import math

from tuitrain.engine import events as ev

EXPLODING_GRAD = 100.0
"""A weight's gradient norm above this (or not finite) is exploding."""
VANISHING_RATIO = 1e-3
"""The first layer's gradient norm below this fraction of the largest: it barely learns."""
DEAD_FRACTION = 0.5
"""More than this fraction of a layer's units never fired on the sampled batch."""
UPDATE_RATIO_RANGE = (1e-6, 0.1)
"""Outside this, a step's change to a weight is far from the healthy ~1e-3 (too large: the rate
is too high for the layer; too small: the layer is frozen in practice)."""


def diagnose(readings: list[ev.LayerReading]) -> list[tuple[str, str, str]]:
    """(category, layer, message) for every problem the readings show."""
    found: list[tuple[str, str, str]] = []
    for r in readings:
        if not math.isfinite(r.grad_norm) or r.grad_norm > EXPLODING_GRAD:
            found.append(("exploding", r.name, f"gradient norm {r.grad_norm:.3g} in {r.name}"))
        elif not math.isfinite(r.out_std):
            # (A large finite std is no sign: before a batch norm it is harmless.)
            found.append(("exploding", r.name, f"output std {r.out_std:.3g} in {r.name}"))
        if r.dead is not None and r.dead > DEAD_FRACTION:
            found.append(("dead", r.name, f"{r.dead:.0%} of the units of {r.name} are dead"))
        low, high = UPDATE_RATIO_RANGE
        if math.isfinite(r.update_ratio) and not low <= r.update_ratio <= high:
            found.append(
                ("update_ratio", r.name, f"update/weight {r.update_ratio:.1e} in {r.name}")
            )
    vanishing = _vanishing(readings)
    if vanishing is not None:
        found.append(vanishing)
    return found


def _vanishing(readings: list[ev.LayerReading]) -> tuple[str, str, str] | None:
    """The input side's gradient orders of magnitude below the largest one further on (or no
    gradient left at all: then the network is dead)."""
    norms = [r.grad_norm for r in readings]
    if len(readings) < 2 or not all(math.isfinite(n) for n in norms):
        return None
    first, largest = readings[0], max(readings, key=lambda r: r.grad_norm)
    if largest.grad_norm == 0:
        return ("dead", first.name, "no layer gets any gradient: every unit is dead")
    ratio = first.grad_norm / largest.grad_norm
    if ratio >= VANISHING_RATIO:
        return None
    what = f"gradient norm of {first.name} is {ratio:.1e} of {largest.name}'s"
    return ("vanishing", first.name, what)


ADVICE = {
    "exploding": "lower the learning rate, clip gradients (train.grad_clip) or add normalization",
    "vanishing": "add normalization (model.norm) or residual connections",
    "dead": "lower the learning rate or use leaky_relu / gelu (model.activation)",
    "update_ratio": "the learning rate is far from the scale of this layer's weights",
}
