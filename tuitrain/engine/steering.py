"""Applying users' commands at step boundaries, each answered by an event with its id."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.core import TrainerCore
from tuitrain.engine.flow import StopRun

HELD_IN_VALIDATION = (
    "paused in the middle of a validation; resume, and that validation finishes and reports"
)


class Steering(TrainerCore):
    """The trainer's command handling. Commands wait in a queue; the loop calls `_boundary`
    between optimizer steps, so a command never lands in the middle of one."""

    def _boundary(self) -> None:
        """Apply queued commands; blocks (without using CPU) while paused."""
        while True:
            try:
                command = self._queue.get() if self._paused else self._queue.get_nowait()
            except queue.Empty:
                return
            self._apply(command)

    def _between_validation_batches(self) -> None:
        """Commands wait for at most one validation batch, not the whole pass (a key pressed
        during validation would otherwise wait seconds). A request to validate again is kept
        for the next step boundary; everything else applies as at a step boundary."""
        later: list[cmd.Command] = []
        # A validation asked for while paused runs through; a pause that arrives during the
        # validation holds it here, as it would at a step boundary.
        paused_already = self._paused
        while True:
            hold = self._paused and not paused_already
            if hold:
                # Held mid-validation, a request for another could only wait for the resume:
                # it is answered now instead, so no client waits on a paused run.
                for command in later:
                    self._reject(command, HELD_IN_VALIDATION)
                later.clear()
            try:
                command = self._queue.get() if hold else self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(command, cmd.Validate) and hold:
                self._reject(command, HELD_IN_VALIDATION)
            elif isinstance(command, cmd.Validate):
                later.append(command)
            else:
                self._apply(command)
        for command in later:
            self._queue.put(command)

    def _apply(self, command: cmd.Command) -> None:
        handler = self._handlers().get(type(command))
        if handler is None:
            self._reject(command, "this run does not accept that command")
            return
        handler(command)

    def _handlers(self) -> dict[type[cmd.Command], Callable[[Any], None]]:
        return {
            cmd.Pause: self._on_pause,
            cmd.Resume: self._on_resume,
            cmd.ScaleLR: self._on_scale_lr,
            cmd.SetLR: self._on_set_lr,
            cmd.Checkpoint: self._on_checkpoint,
            cmd.SaveOnSignal: self._on_checkpoint,
            cmd.Validate: self._on_validate,
            cmd.Stop: self._on_stop,
        }

    def _on_pause(self, command: cmd.Pause) -> None:
        if self._paused:
            self._reject(command, "already paused")
            return
        self._paused = True
        self._clock.pause()
        self._emit(ev.Paused(step=self._progress.step, source=command.source, cmd_id=command.id))

    def _on_resume(self, command: cmd.Resume) -> None:
        if not self._paused:
            self._reject(command, "not paused")
            return
        self._paused = False
        paused_s = self._clock.resume()
        self._next_report = time.monotonic()
        self._emit(
            ev.Resumed(
                step=self._progress.step,
                source=command.source,
                paused_s=paused_s,
                cmd_id=command.id,
            )
        )

    def _on_scale_lr(self, command: cmd.ScaleLR) -> None:
        lr = self._require_parts().lr
        new = lr.at(self._progress.step) * command.factor
        if not 1e-12 <= new <= 100.0:
            self._reject(command, f"the learning rate would become {new:.3g}")
            return
        lr.scale_by(command.factor)
        self._user_lr_changed(command, f"x{command.factor:g}")

    def _on_set_lr(self, command: cmd.SetLR) -> None:
        try:
            self._require_parts().lr.set(command.value, self._progress.step)
        except ValueError as exc:
            self._reject(command, str(exc))
            return
        self._user_lr_changed(command, f"set to {command.value:g}")

    def _user_lr_changed(self, command: cmd.Command, reason: str) -> None:
        parts = self._require_parts()
        new = parts.lr.apply(parts.optimizer, self._progress.step)
        self._emit(self._lr_event(new, self._lr, command.source, reason, command.id))
        self._lr = new

    def _on_checkpoint(self, command: cmd.Command) -> None:
        if self._checkpoints is None:
            self._reject(command, "this run has no run directory to save to")
            return
        reason = "signal" if isinstance(command, cmd.SaveOnSignal) else "user"
        self._save(reason, command=command)

    def _on_validate(self, command: cmd.Validate) -> None:
        if self._require_parts().data.val is None:
            self._reject(command, "this run has no validation data")
            return
        self._validate(command.source, command.id)

    def _on_stop(self, command: cmd.Stop) -> None:
        raise StopRun(command)

    def _reject(self, command: cmd.Command, reason: str) -> None:
        self._emit(
            ev.CommandRejected(
                command=command.name,
                reason=reason,
                source=command.source,
                step=self._progress.step,
                cmd_id=command.id,
            )
        )
