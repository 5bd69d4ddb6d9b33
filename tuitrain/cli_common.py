"""What every command of the command line is made of."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass


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


def can_draw() -> bool:
    """Whether stdout is a terminal a full-screen app can draw on (not a file, a pipe or a
    TERM=dumb console)."""
    return sys.stdout.isatty() and os.environ.get("TERM", "") not in ("", "dumb")
