"""Applying users' commands at step boundaries, each answered by an event with its id.

Commands wait in a queue (any thread may put one there, a signal handler included). The loop
calls `at_step_boundary` between optimizer steps, so a command never lands in the middle of
one, and `between_validation_batches` inside a validation pass. The handler acts on the run
only through `Steerable`, the narrow protocol the training run implements.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any, Protocol

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.loop_control import StopRun
from tuitrain.engine.world import World
from tuitrain.optim import LearningRate

HELD_IN_VALIDATION = (
    "paused in the middle of a validation; resume, and that validation finishes and reports"
)


class Steerable(Protocol):
    """What a command may do to a run."""

    @property
    def step(self) -> int: ...

    def emit(self, event: ev.Event) -> None: ...

    def hold(self) -> None:
        """The run pauses: its clock stops."""

    def release(self) -> float:
        """The run resumes; returns how long the pause lasted."""
        ...

    def apply_lr(self, source: str, reason: str, cmd_id: str | None) -> None:
        """Give the optimizer the (changed) learning rate and say so."""

    def save(self, reason: str, *, command: cmd.Command) -> object:
        """Checkpoint now (the handler checks first that the run can)."""

    def validate(self, source: str, cmd_id: str | None) -> object:
        """Validate now (the handler checks first that the run has validation data)."""


def rejection(command: cmd.Command, reason: str, step: int) -> ev.CommandRejected:
    return ev.CommandRejected(
        command=command.name, reason=reason, source=command.source, step=step, cmd_id=command.id
    )


class CommandHandler:
    """Applies commands to a run. `lr` is the run's learning rate (LR commands change it, then
    ask the run to `apply_lr`); `world` turns this process's commands into the run's."""

    def __init__(
        self,
        commands: queue.SimpleQueue[cmd.Command],
        run: Steerable,
        lr: LearningRate,
        world: World,
        can_save: bool,
        has_validation: bool,
    ) -> None:
        self._queue = commands
        self._run = run
        self._lr = lr
        self._exchange = world.exchange_commands
        self._hold_wait_s = world.hold_wait_s
        self._mid_validation = world.commands_mid_validation
        self._can_save = can_save
        self._has_validation = has_validation
        self.paused = False
        self._handlers: dict[type[cmd.Command], Callable[[Any], None]] = {
            cmd.Pause: self._on_pause,
            cmd.Resume: self._on_resume,
            cmd.ScaleLR: self._on_scale_lr,
            cmd.SetLR: self._on_set_lr,
            cmd.Checkpoint: self._on_checkpoint,
            cmd.SaveOnSignal: self._on_checkpoint,
            cmd.Validate: self._on_validate,
            cmd.Stop: self._on_stop,
        }

    def at_step_boundary(self) -> None:
        """Apply queued commands; blocks (without using CPU) while paused."""
        while True:
            commands = self._exchange(self._run.step, self._take(block=self.paused))
            if not commands and not self.paused:
                return  # (paused, an empty answer means the pause goes on)
            for command in commands:
                self._apply(command)

    def _take(self, *, block: bool) -> list[cmd.Command]:
        """The commands waiting now; with block, waits for one (for at most the world's
        hold_wait_s: with several ranks, the others are waiting to hear that nothing came)."""
        taken: list[cmd.Command] = []
        try:
            if block and self._hold_wait_s != 0:
                taken.append(self._queue.get(timeout=self._hold_wait_s))
            while True:
                taken.append(self._queue.get_nowait())
        except queue.Empty:
            return taken

    def between_validation_batches(self) -> None:
        """Commands wait for at most one validation batch, not the whole pass (a key pressed
        during validation would otherwise wait seconds). A request to validate again is kept
        for the next step boundary; everything else applies as at a step boundary."""
        if not self._mid_validation:
            return
        later: list[cmd.Command] = []
        # A validation asked for while paused runs through; a pause that arrives during the
        # validation holds it here, as it would at a step boundary.
        paused_already = self.paused
        while True:
            hold = self.paused and not paused_already
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
        handler = self._handlers.get(type(command))
        if handler is None:
            self._reject(command, "this run does not accept that command")
            return
        handler(command)

    def _on_pause(self, command: cmd.Pause) -> None:
        if self.paused:
            self._reject(command, "already paused")
            return
        self.paused = True
        self._run.hold()
        self._run.emit(ev.Paused(step=self._run.step, source=command.source, cmd_id=command.id))

    def _on_resume(self, command: cmd.Resume) -> None:
        if not self.paused:
            self._reject(command, "not paused")
            return
        self.paused = False
        paused_s = self._run.release()
        self._run.emit(
            ev.Resumed(
                step=self._run.step, source=command.source, paused_s=paused_s, cmd_id=command.id
            )
        )

    def _on_scale_lr(self, command: cmd.ScaleLR) -> None:
        lr = self._lr
        new = lr.at(self._run.step) * command.factor
        if not 1e-12 <= new <= 100.0:
            self._reject(command, f"the learning rate would become {new:.3g}")
            return
        lr.scale_by(command.factor)
        self._run.apply_lr(command.source, f"x{command.factor:g}", command.id)

    def _on_set_lr(self, command: cmd.SetLR) -> None:
        try:
            self._lr.set(command.value, self._run.step)
        except ValueError as exc:
            self._reject(command, str(exc))
            return
        self._run.apply_lr(command.source, f"set to {command.value:g}", command.id)

    def _on_checkpoint(self, command: cmd.Command) -> None:
        if not self._can_save:
            self._reject(command, "this run has no run directory to save to")
            return
        reason = "signal" if isinstance(command, cmd.SaveOnSignal) else "user"
        self._run.save(reason, command=command)

    def _on_validate(self, command: cmd.Validate) -> None:
        if not self._has_validation:
            self._reject(command, "this run has no validation data")
            return
        self._run.validate(command.source, command.id)

    def _on_stop(self, command: cmd.Stop) -> None:
        raise StopRun(command)

    def _reject(self, command: cmd.Command, reason: str) -> None:
        self._run.emit(rejection(command, reason, self._run.step))
