"""Reading the learning curves the way the course teaches: is the model over- or underfitting?"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tuitrain.config.train import Diagnose


@dataclass
class EpochMetrics:
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None


@dataclass
class CurveDoctor:
    """Watches epoch metrics and names the regime: 'ok', 'overfitting' or 'underfitting'.

    Overfitting: validation loss rose for `overfit_patience` validations in a row while the
    training loss fell over the same stretch. Underfitting: after `underfit_epochs` epochs,
    training accuracy is below twice chance and gained less than one point over that stretch.
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

    def _overfitting(self) -> bool:
        k = self.settings.overfit_patience
        validated = [m for m in self.history if m.val_loss is not None]
        if len(validated) < k + 1:
            return False
        window = validated[-(k + 1) :]
        losses = [m.val_loss for m in window if m.val_loss is not None]
        val_rising = all(b > a for a, b in itertools.pairwise(losses))
        train_falling = window[-1].train_loss < window[0].train_loss
        return val_rising and train_falling

    def _underfitting(self) -> bool:
        k = self.settings.underfit_epochs
        if len(self.history) < k + 1:
            return False
        chance = 1.0 / self.num_classes
        now, before = self.history[-1].train_acc, self.history[-(k + 1)].train_acc
        return now < 2 * chance and now - before < 0.01

    def _explain(self, verdict: str) -> str:
        last = self.history[-1]
        if verdict == "overfitting":
            gap = (last.train_acc - last.val_acc) if last.val_acc is not None else 0.0
            return (
                f"validation loss rose {self.settings.overfit_patience} times in a "
                f"row while training loss fell (train-val accuracy gap {gap:+.1%}); "
                "more data or augmentation, weight decay, or stopping early would help"
            )
        return (
            f"training accuracy {last.train_acc:.1%} is near chance "
            f"({1 / self.num_classes:.1%}) after {len(self.history)} epochs; try a higher "
            "learning rate, a bigger model, or input normalization"
        )

    def state_dict(self) -> dict[str, object]:
        return {"history": [vars(m).copy() for m in self.history], "verdict": self.verdict}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.history = [EpochMetrics(**m) for m in state["history"]]  # type: ignore[arg-type, union-attr]
        self.verdict = str(state["verdict"])
