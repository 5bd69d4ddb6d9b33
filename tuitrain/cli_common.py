"""What the commands of the command line share: the command record, the common options, and
the check for a terminal to draw on. cli.py lists the commands; cli_runs.py and cli_watch.py
hold them, each importing only this module of the command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tuitrain.errors import UserError
from tuitrain.runs.resolve import RUNS_DIR_ENV, default_runs_dir

RUN_HELP = "run directory, or a run's name (or the start of it) in --runs-dir"


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    """One line, shown in `tuitrain --help`."""
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    example: str = ""
    """Shown at the end of `tuitrain NAME --help`."""


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one setting after extends, e.g. optim.lr=0.01 (repeatable)",
    )


def add_runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=default_runs_dir(),
        metavar="DIR",
        help=f"where run directories live (default: ${RUNS_DIR_ENV}, else ./runs)",
    )


def can_draw() -> bool:
    """Whether stdout is a terminal a full-screen app can draw on (not a file, a pipe or a
    TERM=dumb console)."""
    return sys.stdout.isatty() and os.environ.get("TERM", "") not in ("", "dumb")


def needs_terminal(command: str, instead: str) -> None:
    """The full-screen commands refuse to draw into a file or a pipe, where they would hang."""
    if not (can_draw() and sys.stdin.isatty()):  # keys are read from stdin
        raise UserError(f"tuitrain {command} needs a terminal", hint=instead)
