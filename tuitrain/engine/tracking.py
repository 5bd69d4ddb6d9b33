"""Keeping the best value of a metric, for best checkpoints and early stopping."""

from __future__ import annotations

import math
import platform

import torch
import torchvision

import tuitrain


class Best:
    """Best value of a metric: higher is better for accuracies, lower for losses.

    NaN and infinities never count as best.
    """

    def __init__(self, metric: str, min_delta: float = 0.0) -> None:
        self.metric = metric
        self.min_delta = min_delta
        self.higher_is_better = metric.endswith("acc")
        self.value: float | None = None
        self.since_best = 0

    def update(self, value: float | None) -> bool:
        """Record a new value; True when it is a new best."""
        if value is None or not math.isfinite(value):
            self.since_best += 1
            return False
        if self.value is None or self._better(value, self.value):
            self.value = value
            self.since_best = 0
            return True
        self.since_best += 1
        return False

    def _better(self, value: float, best: float) -> bool:
        if self.higher_is_better:
            return value > best + self.min_delta
        return value < best - self.min_delta

    def state_dict(self) -> dict[str, object]:
        return {"value": self.value, "since_best": self.since_best}

    def load_state_dict(self, state: dict[str, object]) -> None:
        value = state["value"]
        self.value = float(value) if value is not None else None  # type: ignore[arg-type]
        self.since_best = int(state["since_best"])  # type: ignore[call-overload]


def versions() -> dict[str, str]:
    found = {
        "tuitrain": tuitrain.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    if torch.version.cuda:
        found["cuda"] = torch.version.cuda
    return found
