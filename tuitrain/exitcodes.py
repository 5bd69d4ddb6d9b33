"""Every exit code of tuitrain's commands, and how a run's ending maps to them.

`tuitrain run`/`resume`: 0 finished, 1 failed, 2 failed on the user's input, 6 ended with
work not on disk (its final, stop or signal checkpoint, or log lines, could not be written),
130/143 interrupted by SIGINT/SIGTERM. `tuitrain ctl` adds 1 refused, 3 not running, 4 no answer in
time, 5 cannot talk to the run (docs/control.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time imported where needed: config uses this module, not the engine
    from tuitrain.engine.events import Failed, Finished

OK = 0
FAILED = 1
BAD_INPUT = 2
"""A user's mistake: a preset, a path, an argument, an unknown run."""
NOT_SAVED = 6
"""run/resume: the run ended, but its final (or stop, or signal) checkpoint or part of its log
could not be written (a full disk): what status.json's `unsaved` says is lost."""
INTERRUPTED = 130  # Ctrl-C (SIGINT)
TERMINATED = 143  # SIGTERM

REFUSED = 1
"""ctl: the run refused the command (it says why)."""
NOT_RUNNING = 3
"""ctl: no live run behind the socket."""
NO_ANSWER = 4
"""ctl: no answer in time (the command may still apply)."""
CANNOT_TALK = 5
"""ctl: another user's run, or another protocol."""


def for_result(
    result: Finished | Failed | None, signal_code: int | None = None, unsaved: str = ""
) -> int:
    """0 finished (completed, early-stopped or stopped by the user), 1 failed, 2 failed on the
    user's input, 6 finished with its last checkpoint (or, `unsaved`, its log) not written,
    130/143 interrupted by SIGINT/SIGTERM (after the checkpoint was written)."""
    from tuitrain.engine.events import Failed

    if isinstance(result, Failed):
        return BAD_INPUT if result.error == "input" else FAILED
    if result is None:
        return FAILED
    if result.unsaved or unsaved:
        return NOT_SAVED  # before a signal's code: a batch job must learn the work is lost
    if result.status == "interrupted":
        return signal_code or _signal_named_in(result.reason) or OK
    return OK


def _signal_named_in(reason: str) -> int | None:
    """With several ranks, a signal to one of them stops all: "SIGTERM received by rank 1"
    ends every rank with SIGTERM's code."""
    for name, code in (("SIGTERM", TERMINATED), ("SIGINT", INTERRUPTED)):
        if reason.startswith(name):
            return code
    return None
