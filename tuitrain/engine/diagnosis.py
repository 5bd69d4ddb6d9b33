"""Reading the learning curves the way the course teaches: is the model over- or underfitting?"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tuitrain.config.train import Diagnose


@dataclass
class EpochMetrics:
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None


RISE = 1.05
"""How far above its best validation loss must be (5%) before it counts as having turned up."""


@dataclass
class CurveDoctor:
    """Watches epoch metrics and names the regime: 'ok', 'overfitting' or 'underfitting'.

    Overfitting: the best validation loss is `overfit_patience` or more validations old, the
    latest is above it, and training loss kept falling since: the curves have parted. Noise in
    the validation curve does not end the verdict; only a new best validation loss does.
    Underfitting: after `underfit_epochs` epochs, training accuracy is below twice chance and
    gained less than one point over that stretch.
    """

    settings: Diagnose
    num_classes: int
    history: list[EpochMetrics] = field(default_factory=list)
    verdict: str = "ok"

    def update(self, metrics: EpochMetrics) -> str | None:
        """Add an epoch; returns a warning message when the verdict changes to a problem."""
        self.history.append(metrics)
        verdict = self._judge()
        changed = verdict != self.verdict
        self.verdict = verdict
        if not changed or verdict == "ok":
            return None
        return self._explain(verdict)

    def _judge(self) -> str:
        if self._overfitting():
            return "overfitting"
        if self._underfitting():
            return "underfitting"
        return "ok"

    def _validated(self) -> list[EpochMetrics]:
        return [m for m in self.history if m.val_loss is not None]

    def _best_validation(self) -> tuple[int, EpochMetrics] | None:
        """(validations since the best validation loss, the epoch that had it)."""
        validated = self._validated()
        if not validated:
            return None
        at = min(range(len(validated)), key=lambda i: validated[i].val_loss or 0.0)
        return len(validated) - 1 - at, validated[at]

    def _overfitting(self) -> bool:
        found = self._best_validation()
        if found is None:
            return False
        age, best = found
        if age == 0:
            return False  # a new best: whatever it was, it is not overfitting now
        if self.verdict == "overfitting":
            return True
        last = self.history[-1]
        turned_up = (last.val_loss or 0.0) > (best.val_loss or 0.0) * RISE
        return (
            age >= self.settings.overfit_patience
            and turned_up
            and (last.train_loss < best.train_loss)
        )

    def _underfitting(self) -> bool:
        k = self.settings.underfit_epochs
        if len(self.history) < k + 1:
            return False
        chance = 1.0 / self.num_classes
        now, before = self.history[-1].train_acc, self.history[-(k + 1)].train_acc
        return now < 2 * chance and now - before < 0.01

    def _explain(self, verdict: str) -> str:
        last = self.history[-1]
        found = self._best_validation()
        if verdict == "overfitting" and found is not None:
            age, best = found
            gap = (last.train_acc - last.val_acc) if last.val_acc is not None else 0.0
            return (
                f"validation loss {last.val_loss:.3g} is above its best {best.val_loss:.3g} "
                f"of {age} validations ago while training loss fell to {last.train_loss:.3g} "
                f"(train-val accuracy gap {gap:+.1%}); more data or augmentation, weight "
                "decay, or stopping early would help"
            )
        return (
            f"training accuracy {last.train_acc:.1%} is near chance "
            f"({1 / self.num_classes:.1%}) after {len(self.history)} epochs; try a higher "
            "learning rate, a bigger model, or input normalization"
        )

    def state_dict(self) -> dict[str, Any]:
        return {"history": [vars(m).copy() for m in self.history], "verdict": self.verdict}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = [EpochMetrics(**m) for m in state["history"]]
        self.verdict = str(state["verdict"])


DIVERGED = 4.0
"""A smoothed training loss this many times its lowest (and above where training started) is
diverging: Lightning's LR finder stops at the same 4x of the best loss."""
RECOVERED = 2.0
"""Back below this many times its lowest, it no longer is."""
SMOOTHING = 0.3
"""Weight of the newest progress report in the smoothed loss: one noisy window is not enough."""


@dataclass
class DivergenceWatch:
    """Reads the training loss of every progress report (already on the host: no extra sync)
    and says at once when training diverges, not only at the epoch's end."""

    smoothed: float | None = None
    first: float | None = None
    lowest: float | None = None
    diverging: bool = False

    def update(self, loss: float, step: int) -> str | None:
        """Fold in a report's loss; the warning to give when divergence starts, else None."""
        if not math.isfinite(loss):
            return self._start(f"training loss is {loss} at step {step}")
        smoothed = (
            loss if self.smoothed is None else SMOOTHING * loss + (1 - SMOOTHING) * self.smoothed
        )
        self.smoothed = smoothed
        if self.first is None:
            self.first = smoothed
        lowest = self.lowest = smoothed if self.lowest is None else min(self.lowest, smoothed)
        if self.diverging:
            self.diverging = smoothed > RECOVERED * lowest
            return None
        if smoothed > DIVERGED * lowest and smoothed > self.first:
            return self._start(
                f"training loss {smoothed:.3g} at step {step} is {smoothed / lowest:.0f}x its "
                f"lowest ({lowest:.3g}) and above where training started ({self.first:.3g}); "
                "lower the learning rate (l, or tuitrain ctl RUN lr-scale 0.1)"
            )
        return None

    def _start(self, message: str) -> str | None:
        if self.diverging:
            return None
        self.diverging = True
        return message  # the warning's category, `diverging`, says what it is

    def state_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("smoothed", "first", "lowest", "diverging")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)
