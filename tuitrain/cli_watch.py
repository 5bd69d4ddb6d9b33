"""The commands that watch and steer runs: view, compare, attach, ctl.

None of them imports torch: they read run directories and talk to live runs over their control
channel, so they start at once even on a busy GPU server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tuitrain.cli_common import RUN_HELP, Command, add_runs_dir, needs_terminal

if TYPE_CHECKING:
    from tuitrain.config.train import MonitorSettings
    from tuitrain.ui.attach import AttachApp


def _view_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", nargs="?", metavar="RUN", help=f"{RUN_HELP} (default: the newest run)"
    )
    add_runs_dir(parser)


def view(args: argparse.Namespace) -> int:
    from tuitrain.errors import UserError
    from tuitrain.runs.resolve import newest_run, resolve_run, where
    from tuitrain.ui.views import view_run

    if args.run is None:
        newest = newest_run(args.runs_dir)
        if newest is None:
            raise UserError(f"no runs in {where(args.runs_dir)}")
        run = newest
    else:
        run = resolve_run(args.run, args.runs_dir)
    needs_terminal("view", f"for the numbers, try: tuitrain export {run}")
    return view_run(run)


def _compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help=f"{RUN_HELP}; a name several runs share takes all"
    )
    add_runs_dir(parser)


def compare(args: argparse.Namespace) -> int:
    from tuitrain.runs.resolve import runs_named
    from tuitrain.ui.views import compare_runs

    # A preset's name takes every run of it: `compare default` after two runs of default.
    runs = [path for run in args.runs for path in runs_named(run, args.runs_dir)]
    needs_terminal("compare", "for the numbers, try: tuitrain runs, or tuitrain export RUN")
    return compare_runs(runs)


def _attach_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", nargs="?", metavar="RUN", help=f"{RUN_HELP} (default: the newest live run)"
    )
    add_runs_dir(parser)


def attach(args: argparse.Namespace) -> int:
    from tuitrain.config.train import MonitorSettings
    from tuitrain.control.attach import attach_link
    from tuitrain.control.errors import ControlError
    from tuitrain.ui.attach import AttachApp

    needs_terminal("attach", "to steer the run from a script, use: tuitrain ctl RUN ...")
    try:
        link = attach_link(args.run, args.runs_dir)
    except ControlError as exc:
        print(f"tuitrain attach: {exc}", file=sys.stderr)
        return exc.exit_code
    settings = _run_settings(link.run_dir) if link.run_dir is not None else None
    app = AttachApp(link, settings or MonitorSettings(), f"tuitrain {link.label}")
    try:
        app.run()
    finally:
        link.close()
    print(_goodbye(app, link.run_dir))
    return app.exit_code


def _goodbye(app: AttachApp, run_dir: Path | None) -> str:
    """The line left in the shell after the monitor closes, as tmux leaves `[detached]`."""
    from tuitrain.ui.widgets.bars import status_word

    name = run_dir.name if run_dir is not None else "the run"
    if app.history.live and not app.stop_sent:
        return f"[detached from {name}: still training; tuitrain attach {name} to return]"
    if app.stop_sent:
        return f"[{name}: asked to stop; it saves a checkpoint first (tuitrain resume {name})]"
    return f"[{name}: {status_word(app.history).lower()}]"


def _run_settings(run_dir: Path) -> MonitorSettings | None:
    """The run's own hotkey settings (its lower-LR factor), from its resolved preset."""
    from pydantic import ValidationError

    from tuitrain.config.loader import PresetError, load_preset
    from tuitrain.runs.files import PRESET

    try:
        return load_preset(str(run_dir / PRESET)).preset.monitor
    except (PresetError, ValidationError):
        return None


def _ctl_arguments(parser: argparse.ArgumentParser) -> None:
    from tuitrain.control.ctl import ACTIONS

    parser.add_argument("run", metavar="RUN", help=RUN_HELP)
    parser.add_argument("action", choices=list(ACTIONS), metavar="ACTION", help=", ".join(ACTIONS))
    parser.add_argument("value", nargs="?", type=float, help="the factor or rate, for lr-scale/lr")
    add_runs_dir(parser)


def ctl(args: argparse.Namespace) -> int:
    from tuitrain.control.ctl import ctl_main

    return ctl_main(args.run, args.action, args.value, args.runs_dir)


WATCH_COMMANDS = [
    Command(
        "view",
        "show a finished or running run, read-only (default: the newest run)",
        _view_arguments,
        view,
        example="examples:\n  tuitrain view\n  tuitrain view 20261127-1815",
    ),
    Command(
        "compare",
        "overlay the curves of several runs, with a table of their best results",
        _compare_arguments,
        compare,
        example="example:\n  tuitrain compare sgd adam nonorm",
    ),
    Command(
        "attach",
        "open the monitor on a run started elsewhere (d detaches; q asks, then stops it)",
        _attach_arguments,
        attach,
        example="examples:\n  tuitrain attach\n  tuitrain attach 20261127-1815",
    ),
    Command(
        "ctl",
        "send one command to a running run and print its answer",
        _ctl_arguments,
        ctl,
        example="examples:\n  tuitrain ctl resnet pause\n  tuitrain ctl resnet lr-scale 0.5\n"
        "  tuitrain ctl resnet checkpoint",
    ),
]
