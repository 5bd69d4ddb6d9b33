"""`tuitrain ctl RUN ACTION [VALUE]`: steer a running run from any shell, in one line.

Exit codes (tuitrain/exitcodes.py, docs/control.md): 0 applied, 1 refused by the run, 2 bad
input, 3 not running, 4 no answer in time (the command may still apply), 5 cannot talk to the
run (another user's, or another protocol).
"""

from __future__ import annotations

import sys
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
VALUE_NAMES = {"lr-scale": "factor", "lr": "value"}
"""Actions that take a number, and the command argument it becomes."""


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
    arg = VALUE_NAMES.get(action)
    if arg is None:
        if value is not None:
            raise BadInput(f"{action} takes no value")
        return kind(source="ctl")
    if value is None:
        raise BadInput(f"{action} needs a value, e.g. tuitrain ctl RUN {action} 0.5")
    try:
        return kind(source="ctl", **{arg: float(value)})
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{action}: {exc}") from None
