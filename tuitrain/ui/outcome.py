"""The exit status a monitor reports for how the run ended."""

from __future__ import annotations

from tuitrain.engine import events as ev

FAILED = 1
BAD_INPUT = 2


def exit_status(outcome: ev.Finished | ev.Failed | None) -> int:
    """0 when the run finished (or is left running, for a monitor that only watched),
    1 when it failed, 2 when it failed on the user's input (a dataset, a preset value)."""
    if isinstance(outcome, ev.Failed):
        return BAD_INPUT if outcome.error == "input" else FAILED
    return 0
