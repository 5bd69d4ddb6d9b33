"""Layer health, the part the trainer owns: the probe that samples a step, and the warnings
its readings raise, each named after its layer and given once a run."""

from __future__ import annotations

import math

from torch import nn

from tuitrain.engine import events as ev
from tuitrain.engine.layerprobe import LayerProbe

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


class LayerHealth:
    """Samples a step every `every` steps; turns each sample into a `layers` event and the
    warnings it raises (each category and layer warned about once)."""

    def __init__(self, model: nn.Module, every: int | None) -> None:
        self.probe = LayerProbe(model, every)
        self._warned: set[tuple[str, str]] = set()

    def sampling(self, step: int) -> LayerProbe | None:
        """The probe when the step about to be taken is sampled, else None."""
        return self.probe if self.probe.due(step) else None

    def read(self) -> list[ev.Event]:
        """The events of the latest sample, if it has reached the host (call after a report)."""
        sample = self.probe.read()
        if sample is None:
            return []
        step, readings = sample
        events: list[ev.Event] = [ev.LayersSampled(step=step, layers=readings)]
        for category, layer, what in diagnose(readings):
            if (category, layer) in self._warned:
                continue
            self._warned.add((category, layer))
            message = f"{what}; {ADVICE[category]}"
            events.append(ev.Warned(category=category, message=message, step=step, layer=layer))
        return events
