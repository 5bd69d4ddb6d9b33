"""Exceptions that steer the training loop from deep inside it (never seen by users)."""

from __future__ import annotations

from tuitrain.engine import commands as cmd


class StopRun(Exception):
    """A stop command reached a step boundary: checkpoint and end the run."""

    def __init__(self, command: cmd.Stop) -> None:
        super().__init__(command.reason)
        self.command = command


class RollBack(Exception):
    """The loss went non-finite: return to the last good state."""


class RunFailure(Exception):
    """Ends the run as failed with a named error and a message, without a traceback."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
