"""`python -m tuitrain.control ctl RUN ACTION [VALUE]`: the ctl client without the full CLI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tuitrain.control.ctl import ACTIONS, ctl_main
from tuitrain.exitcodes import BAD_INPUT, OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuitrain.control")
    sub = parser.add_subparsers(dest="tool", required=True)
    ctl = sub.add_parser("ctl", help="send a command to a running run")
    ctl.add_argument("run", help="run directory, or a run name (or its start) in --runs-dir")
    ctl.add_argument("action", choices=sorted(ACTIONS))
    ctl.add_argument("value", nargs="?", type=float, help="the factor or learning rate")
    ctl.add_argument("--runs-dir", type=Path, default=Path("runs"))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return BAD_INPUT if exc.code else OK
    return ctl_main(args.run, args.action, args.value, args.runs_dir)


if __name__ == "__main__":
    sys.exit(main())
