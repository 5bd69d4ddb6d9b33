"""Errors a control client reports to its user, each with the exit code `tuitrain ctl` uses."""

from __future__ import annotations

from tuitrain.exitcodes import BAD_INPUT, CANNOT_TALK, NO_ANSWER, NOT_RUNNING, REFUSED


class ControlError(Exception):
    """Something stopped a control request; the message is for the user, as it stands."""

    exit_code = REFUSED


class BadInput(ControlError):
    """The user asked for something malformed: an unknown action, a bad value, no such run."""

    exit_code = BAD_INPUT


class NotRunning(ControlError):
    """No live run behind the socket: it ended, died, or never opened a control channel."""

    exit_code = NOT_RUNNING


class NoAnswer(ControlError):
    """The run did not answer in time; a command may still be queued and apply later."""

    exit_code = NO_ANSWER


class PermissionDenied(ControlError):
    """The socket or the run belongs to another user."""

    exit_code = CANNOT_TALK


class ProtocolMismatch(ControlError):
    """The run speaks another version of the control protocol, or something else entirely."""

    exit_code = CANNOT_TALK


class SocketInUse(ControlError):
    """A live process already serves the socket path a new server wanted."""
