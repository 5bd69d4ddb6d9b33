"""Keeping a run's work safe: checkpoints, resume, and roll-back after a NaN loss."""

from __future__ import annotations

import time
from typing import Any

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.clock import Clock
from tuitrain.engine.core import TrainerCore
from tuitrain.engine.flow import RollBack, RunFailure
from tuitrain.engine.state import capture_state, detached_copy, restore_state


class Safety(TrainerCore):
    """The trainer's state keeping: what a checkpoint holds, and going back to it."""

    def _nonfinite(self, what: str) -> None:
        nan = self.preset.train.nan
        if nan.policy == "stop":
            raise RunFailure("nan", f"{what}; stopping (train.nan.policy is stop)")
        if self._progress.rollbacks >= nan.max_rollbacks:
            raise RunFailure(
                "nan",
                f"{what}, after {nan.max_rollbacks} roll-backs; lower optim.lr or set "
                "train.grad_clip",
            )
        self._emit(ev.Warned(category="nan", message=what, step=self._progress.step))
        raise RollBack()

    def _take_snapshot(self) -> dict[str, Any]:
        return detached_copy(self._capture())

    def _roll_back(self) -> None:
        assert self._snapshot is not None
        rollbacks = self._progress.rollbacks + 1
        self._restore(self._snapshot)
        self._progress.rollbacks = rollbacks
        parts = self._require_parts()
        previous = parts.lr.at(self._progress.step)
        parts.lr.scale_by(self.preset.train.nan.lr_factor)
        new = parts.lr.apply(parts.optimizer, self._progress.step)
        reason = f"roll-back {rollbacks} to step {self._progress.step}"
        self._emit(self._lr_event(new, previous, "nan", reason))
        self._lr = new
        self._snapshot = self._take_snapshot()

    # State ------------------------------------------------------------------------------

    def _capture(self) -> dict[str, Any]:
        self._progress.elapsed = self._clock.elapsed() if hasattr(self, "_clock") else 0.0
        extra = {
            "meter": self._meter.state(),
            "doctor": self._doctor.state_dict(),
            "best": self._best.state_dict(),
            "stopper": self._stopper.state_dict() if self._stopper else None,
            "preset": self.resolved,
            "preset_name": self.name,
        }
        return capture_state(self._require_parts(), self._progress, extra)

    def _restore(self, state: dict[str, Any]) -> None:
        self._progress = restore_state(self._require_parts(), state)
        self._meter.load(state["meter"])
        self._doctor.load_state_dict(state["doctor"])
        self._best.load_state_dict(state["best"])
        if self._stopper is not None and state.get("stopper"):
            self._stopper.load_state_dict(state["stopper"])
        self._clock = Clock(self._progress.elapsed)

    def _save(self, reason: str, *, best: bool = False, command: cmd.Command | None = None) -> None:
        if self._checkpoints is None or self._parts is None:
            return
        started = time.monotonic()
        try:
            path = self._checkpoints.save(self._capture(), reason, best=best)
        except OSError as exc:
            message = f"could not save the {reason} checkpoint ({exc}); any earlier one is kept"
            self._emit(ev.Warned(category="checkpoint", message=message, step=self._progress.step))
            if command is not None:
                self._reject(command, message)
            return
        self._emit(
            ev.CheckpointSaved(
                step=self._progress.step,
                epoch=self._progress.epoch,
                path=path,
                reason=reason,
                seconds=time.monotonic() - started,
                source=command.source if command else "engine",
                cmd_id=command.id if command else None,
            )
        )

    def _emit_resumed(self) -> None:
        assert self._resume is not None
        exact = self._require_parts().data.exact_resume
        on_gpu = self._require_parts().runtime.device.type == "cuda"
        note = ""
        if not exact:
            note = "the streaming data path cannot replay augmentation exactly"
        elif on_gpu:
            note = "GPU kernels are not bit-reproducible; the run continues closely, not exactly"
        self._emit(
            ev.RunResumed(
                checkpoint=self._resume.path,
                step=self._progress.step,
                epoch=self._progress.epoch,
                exact=exact and not on_gpu,
                note=note,
            )
        )
        if note:
            self._emit(ev.Warned(category="resume", message=note, step=self._progress.step))
