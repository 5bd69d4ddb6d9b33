"""The process exit codes of tuitrain, and how a run's ending maps to them."""

from __future__ import annotations

from tuitrain.engine import events as ev

OK = 0
FAILED = 1
BAD_INPUT = 2
INTERRUPTED = 130  # Ctrl-C (SIGINT)
TERMINATED = 143  # SIGTERM


def for_result(result: ev.Finished | ev.Failed | None, signal_code: int | None = None) -> int:
    """0 finished (completed, early-stopped or stopped by the user), 1 failed, 2 failed on the
    user's input, 130/143 interrupted by SIGINT/SIGTERM (after the checkpoint was written)."""
    if isinstance(result, ev.Failed):
        return BAD_INPUT if result.error == "input" else FAILED
    if result is None:
        return FAILED
    if result.status == "interrupted" and signal_code:
        return signal_code
    return OK
