"""Layer health, the part the trainer owns: the probe that samples a step, and the warnings
its readings raise, each named after its layer and given once a run."""

from __future__ import annotations

from torch import nn

from tuitrain.engine import events as ev
from tuitrain.engine.layerprobe import LayerProbe
from tuitrain.layer_checks import ADVICE, diagnose


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
