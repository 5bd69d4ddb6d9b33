"""The learning rate the optimizer has now, and the event that tells of each change.

`optim.LearningRate` says what the rate should be at a step (the schedule times the user's
scale); this part writes it into the optimizer and remembers what it wrote, so that a change
(a discrete schedule's drop, a user's command, a roll-back) is reported with its old value.
"""

from __future__ import annotations

import torch

from tuitrain.engine import events as ev
from tuitrain.optim import LearningRate


class LRKeeper:
    def __init__(self, lr: LearningRate, optimizer: torch.optim.Optimizer) -> None:
        self._lr = lr
        self._optimizer = optimizer
        self.current = 0.0

    def start(self, step: int) -> None:
        """Where a run starts (or resumes): the rate at `step`, not yet in the optimizer."""
        self.current = self._lr.at(step)

    def at_step(self, step: int) -> ev.LRChanged | None:
        """Before each step: the schedule's rate; an event when a discrete schedule moved."""
        lr = self._lr.apply(self._optimizer, step)
        schedule = self._lr.schedule
        moved = lr != self.current and schedule.discrete
        event = self._changed(step, lr, "schedule", schedule.kind) if moved else None
        self.current = lr
        return event

    def changed(
        self, step: int, source: str, reason: str, cmd_id: str | None = None
    ) -> ev.LRChanged:
        """After the user's scale changed: the new rate goes to the optimizer now."""
        event = self._changed(step, self._lr.apply(self._optimizer, step), source, reason, cmd_id)
        self.current = event.lr
        return event

    def roll_back(self, step: int, factor: float, rollbacks: int) -> ev.LRChanged:
        """After a roll-back to `step`: the rate restored there, lowered by factor."""
        self.current = self._lr.at(step)
        self._lr.scale_by(factor)
        return self.changed(step, "nan", f"roll-back {rollbacks} to step {step}")

    def _changed(
        self, step: int, lr: float, source: str, reason: str, cmd_id: str | None = None
    ) -> ev.LRChanged:
        return ev.LRChanged(
            step=step,
            lr=lr,
            previous=self.current,
            scale=self._lr.scale,
            source=source,
            reason=reason,
            cmd_id=cmd_id,
        )
