"""`tuitrain ctl RUN ACTION [VALUE]`: steer a running run from any shell, in one line.

Exit codes (tuitrain/exitcodes.py, docs/control.md): 0 applied, 1 refused by the run, 2 bad
input, 3 not running, 4 no answer in time (the command may still apply), 5 cannot talk to the
run (another user's, or another protocol).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from tuitrain.control.client import connect_run
from tuitrain.control.errors import BadInput, ControlError
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.exitcodes import BAD_INPUT, OK, REFUSED
from tuitrain.runs.resolve import resolve_run
from tuitrain.words import ctl_answer

ACTIONS: dict[str, type[cmd.Command]] = {
    "pause": cmd.Pause,
    "resume": cmd.Resume,
    "lr-scale": cmd.ScaleLR,
    "lr": cmd.SetLR,
    "checkpoint": cmd.Checkpoint,
    "validate": cmd.Validate,
    "stop": cmd.Stop,
}
WITH_VALUE: dict[str, Callable[[float], cmd.Command]] = {
    "lr-scale": lambda value: cmd.ScaleLR(source="ctl", factor=value),
    "lr": lambda value: cmd.SetLR(source="ctl", value=value),
}
"""Actions that take a number, and the command it becomes."""


def ctl_main(
    run: str,
    action: str,
    value: float | None,
    runs_dir: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Send one command to a running run and print its answer; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        command = build_command(action, value)
        run_dir = resolve_run(
            run, runs_dir, note=lambda note: print(f"tuitrain ctl: {note}", file=err)
        )
        with connect_run(run_dir, "ctl") as client:
            answer = client.send_command(command)
    except ControlError as exc:
        print(f"tuitrain ctl: {exc}", file=err)
        return exc.exit_code
    except UserError as exc:
        print(f"tuitrain ctl: {exc}", file=err)
        return BAD_INPUT
    if isinstance(answer, ev.CommandRejected):
        print(f"tuitrain ctl: {run_dir.name} refused {action}: {answer.reason}", file=err)
        return REFUSED
    print(ctl_answer(answer), file=out)
    return OK


def build_command(action: str, value: float | None) -> cmd.Command:
    """The command for an action as typed (`lr_scale` is taken for `lr-scale`)."""
    action = action.replace("_", "-")
    kind = ACTIONS.get(action)
    if kind is None:
        raise BadInput(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
    with_value = WITH_VALUE.get(action)
    if with_value is None:
        if value is not None:
            raise BadInput(f"{action} takes no value")
        return kind(source="ctl")
    if value is None:
        raise BadInput(f"{action} needs a value, e.g. tuitrain ctl RUN {action} 0.5")
    try:
        return with_value(float(value))
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{action}: {exc}") from None
