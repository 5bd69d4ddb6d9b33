"""Exceptions that steer the training loop from deep inside it (never seen by users).

A part that must end or rewind the loop (the command handler on a stop, the numeric guard on a
non-finite loss) raises one of these; only `trainer.py` catches them, at the place in the loop
where that control flow lands. `failed_event` says how a run that raised ends.
"""

from __future__ import annotations

import traceback

import torch

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.usercode import failure_in_user_code


class StopRun(Exception):
    """A stop command reached a step boundary: checkpoint and end the run."""

    def __init__(self, command: cmd.Stop) -> None:
        super().__init__(command.reason)
        self.command = command


class RollBack(Exception):
    """The loss went non-finite: tell the user why, and return to the last good state."""

    def __init__(self, warning: ev.Warned) -> None:
        super().__init__(warning.message)
        self.warning = warning


class RunFailure(Exception):
    """Ends the run as failed with a named error and a message, without a traceback."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


def failed_event(exc: Exception, *, step: int | None, batch_size: int) -> ev.Failed:
    """How a run that raised ends. A user's mistake, a named failure and running out of
    memory read as messages; anything else is a bug, and keeps its traceback."""
    if isinstance(exc, UserError):
        return ev.Failed(error="input", message=str(exc), step=step)
    if isinstance(exc, RunFailure):
        return ev.Failed(error=exc.error, message=exc.message, step=step)
    if isinstance(exc, torch.OutOfMemoryError):
        return ev.Failed(
            error="out_of_memory",
            message=f"the GPU ran out of memory at batch size {batch_size}; try "
            f"--set data.batch_size={max(1, batch_size // 2)}",
            step=step,
        )
    theirs = failure_in_user_code(exc)
    if theirs is not None:  # their code, so their traceback: none of tuitrain's frames
        return ev.Failed(error="user_code", message=theirs, step=step)
    return ev.Failed(
        error=type(exc).__name__,
        message=str(exc) or type(exc).__name__,
        step=step,
        traceback=traceback.format_exc(),
    )
