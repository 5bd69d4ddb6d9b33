"""What each epoch's metrics decide: a new best, early stopping, the fit diagnosis."""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass
from typing import Any

import torch
import torchvision

import tuitrain
from tuitrain.config.train import Train
from tuitrain.engine.diagnosis import CurveDoctor, DivergenceWatch, EpochMetrics


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

    def state_dict(self) -> dict[str, Any]:
        return {"value": self.value, "since_best": self.since_best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        value = state["value"]
        self.value = float(value) if value is not None else None
        self.since_best = int(state["since_best"])


@dataclass(frozen=True)
class EpochVerdict:
    is_best: bool
    fit: str
    """The regime: 'diverging' while the loss is (see DivergenceWatch), else the curve
    doctor's 'ok', 'overfitting' or 'underfitting'."""
    diagnosis: str | None
    """A new diagnosis to tell the user, or None."""


class EpochTracker:
    """The best value (for best checkpoints), early stopping, and the curve doctor."""

    def __init__(self, best_metric: str, train: Train, num_classes: int) -> None:
        self.best = Best(best_metric)
        self._stopping = stopping = train.early_stopping
        self._stopper = Best(stopping.monitor, stopping.min_delta) if stopping else None
        self._doctor = CurveDoctor(train.diagnose, num_classes)
        self._divergence = DivergenceWatch()

    def watch_report(self, loss: float, step: int) -> str | None:
        """A progress report's training loss; the warning to give when the run starts to
        diverge (at once, mid-epoch), else None."""
        return self._divergence.update(loss, step)

    def judge(self, metrics: dict[str, float]) -> EpochVerdict:
        """Fold in an epoch's metrics (train_loss, train_acc, maybe val_loss, val_acc)."""
        diagnosis = self._doctor.update(
            EpochMetrics(
                train_loss=metrics["train_loss"],
                train_acc=metrics["train_acc"],
                val_loss=metrics.get("val_loss"),
                val_acc=metrics.get("val_acc"),
            )
        )
        is_best = self.best.update(metrics.get(self.best.metric))
        fit = "diverging" if self._divergence.diverging else self._doctor.verdict
        return EpochVerdict(is_best=is_best, fit=fit, diagnosis=diagnosis)

    def should_stop(self, metrics: dict[str, float]) -> bool:
        """Early stopping's verdict on the epoch (its patience ran out without improvement)."""
        if self._stopper is None or self._stopping is None:
            return False
        self._stopper.update(metrics.get(self._stopper.metric))
        return self._stopper.since_best >= self._stopping.patience

    def state_dict(self) -> dict[str, Any]:
        """The checkpoint's 'doctor', 'best' and 'stopper' entries."""
        return {
            "doctor": self._doctor.state_dict(),
            "best": self.best.state_dict(),
            "stopper": self._stopper.state_dict() if self._stopper else None,
            "divergence": self._divergence.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._doctor.load_state_dict(state["doctor"])
        self.best.load_state_dict(state["best"])
        if state.get("divergence"):  # checkpoints from before the watch have none
            self._divergence.load_state_dict(state["divergence"])
        if self._stopper is not None and state.get("stopper"):
            self._stopper.load_state_dict(state["stopper"])


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
