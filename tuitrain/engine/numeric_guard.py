"""The non-finite loss policy (train.nan): roll back to the last good state, or fail the run.

The loop finds a non-finite loss only where it reads the meter anyway (a report, an epoch's
end, a validation), so the check costs no host-device sync of its own.
"""

from __future__ import annotations

from typing import NoReturn

from tuitrain.config.train import NanPolicy
from tuitrain.engine import events as ev
from tuitrain.engine.loop_control import RollBack, RunFailure


class NumericGuard:
    """Decides what a non-finite loss does; it never changes the run's state itself."""

    def __init__(self, policy: NanPolicy) -> None:
        self._policy = policy

    @property
    def lr_factor(self) -> float:
        """What a roll-back multiplies the learning rate by."""
        return self._policy.lr_factor

    def nonfinite(self, what: str, *, step: int, rollbacks: int) -> NoReturn:
        """Raise RollBack (with the warning to send) or RunFailure; `what` names the loss."""
        policy = self._policy
        if policy.policy == "stop":
            raise RunFailure("nan", f"{what}; stopping (train.nan.policy is stop)")
        if rollbacks >= policy.max_rollbacks:
            raise RunFailure(
                "nan",
                f"{what}, after {policy.max_rollbacks} roll-backs; lower optim.lr or set "
                "train.grad_clip",
            )
        raise RollBack(ev.Warned(category="nan", message=what, step=step))
