"""`tuitrain predict RUN IMAGE_OR_FOLDER...`: a trained run's top classes for each image."""

from __future__ import annotations

import argparse
import sys

from tuitrain.cli_common import Command, add_runs_dir
from tuitrain.errors import UserError
from tuitrain.exitcodes import BAD_INPUT, OK


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run directory, its name or the start of it")
    parser.add_argument("images", nargs="+", metavar="IMAGE_OR_FOLDER")
    parser.add_argument("--top", type=int, default=3, help="classes to show per image (3)")
    parser.add_argument("--which", choices=("best", "last"), default="best", help="checkpoint")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_runs_dir(parser)


def run_predict(args: argparse.Namespace) -> int:
    """Print the predictions; exit 2 when some path could not be read (the rest are printed)."""
    from tuitrain.predict import as_json, predict, table

    if args.top < 1:
        raise UserError("--top must be 1 or more")
    runs_dir = str(args.runs_dir) if args.runs_dir is not None else None
    results = predict(args.run, args.images, top=args.top, which=args.which, runs_dir=runs_dir)
    print(as_json(results) if args.json else table(results))
    unread = [r for r in results if r.error]
    if unread and not args.json:
        print(f"tuitrain: {len(unread)} of {len(results)} paths were not read", file=sys.stderr)
    return BAD_INPUT if unread else OK


PREDICT_COMMAND = Command(
    "predict",
    "print the top classes a trained run gives each image",
    _arguments,
    run_predict,
    example="examples:\n  tuitrain predict 20261201-101500-cifar10 cat.png dog.jpg\n"
    "  tuitrain predict mine photos/ --top 1 --json",
)
