"""The `tuitrain` command line: one table of commands, each a small function.

A command is a name, a one-line summary, a function that adds its arguments and a function
that runs it and returns the exit code. Commands import what they need when they run, so
`tuitrain validate` never loads torch and `tuitrain --help` answers at once.

The commands that train live in cli_runs.py, those that watch and steer in cli_watch.py, the
preset commands here; what they share (the Command record, --set, --runs-dir, the check for a
terminal) in cli_common.py. Exit codes: tuitrain/exitcodes.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from tuitrain import __version__
from tuitrain.cli_common import Command, add_set_option
from tuitrain.cli_lrfind import LRFIND_COMMANDS
from tuitrain.cli_pictures import PICTURE_COMMANDS
from tuitrain.cli_predict import PREDICT_COMMAND
from tuitrain.cli_runs import RUN_COMMANDS
from tuitrain.cli_watch import WATCH_COMMANDS
from tuitrain.errors import UserError
from tuitrain.exitcodes import BAD_INPUT, FAILED, INTERRUPTED, OK
from tuitrain.study.cli import STUDY_COMMAND


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "presets", nargs="+", metavar="PRESET", help="a preset file, or a bundled preset's name"
    )
    add_set_option(parser)


def validate(args: argparse.Namespace) -> int:
    """Check each preset; print `ok  <source>` and its warnings, or every problem found."""
    from tuitrain.config.loader import PresetError, load_preset

    failed = 0
    for ref in args.presets:
        try:
            loaded = load_preset(ref, args.overrides)
        except PresetError as exc:
            failed += 1
            print(exc, file=sys.stderr)
            continue
        print(f"ok  {loaded.source}")
        for remark in loaded.advice:
            print(f"    {remark}")
    if failed and len(args.presets) > 1:
        print(f"{failed} of {len(args.presets)} presets have problems", file=sys.stderr)
    return BAD_INPUT if failed else OK


def list_presets(args: argparse.Namespace) -> int:
    """The bundled presets, name and description, aligned."""
    from tuitrain.config.bundled import bundled_presets

    listing = bundled_presets()
    width = max((len(name) for name, _ in listing), default=0)
    for name, description in listing:
        print(f"{name:<{width}}  {description}".rstrip())
    return OK


def schema(args: argparse.Namespace) -> int:
    """The JSON Schema of preset files, for editors."""
    from tuitrain.config.schema import schema_text

    sys.stdout.write(schema_text())
    return OK


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


COMMANDS: list[Command] = [
    *RUN_COMMANDS,
    *LRFIND_COMMANDS,
    *WATCH_COMMANDS,
    *PICTURE_COMMANDS,
    STUDY_COMMAND,
    PREDICT_COMMAND,
    Command(
        "validate",
        "check presets and show every problem with its file:line:col",
        _validate_arguments,
        validate,
        example="examples:\n  tuitrain validate presets/*.yaml\n"
        "  tuitrain validate default --set optim.lr=0.1 --set model.norm=layer",
    ),
    Command("presets", "list the bundled presets", _no_arguments, list_presets),
    Command(
        "schema",
        "print the JSON Schema of preset files",
        _no_arguments,
        schema,
        example="example:\n  tuitrain schema > preset.schema.json",
    ),
]
"""Every command, in the order `tuitrain --help` lists them."""


def build_parser(commands: Sequence[Command] | None = None) -> argparse.ArgumentParser:
    """The parser for commands (by default, every command in COMMANDS)."""
    parser = argparse.ArgumentParser(
        prog="tuitrain",
        description="Train CNN image classifiers in PyTorch and watch them learn in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"tuitrain {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS if commands is None else commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.summary,
            description=command.summary[:1].upper() + command.summary[1:] + ".",
            epilog=command.example or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(sub)
        sub.set_defaults(handler=command.run)
    return parser


def _report(error: UserError) -> None:
    """`tuitrain: error: ...`; a report of several problems follows on its own lines."""
    from tuitrain.config.problems import PresetError

    if isinstance(error, PresetError) and len(error.problems) > 1:
        print(f"tuitrain: error: {len(error.problems)} problems in the preset:", file=sys.stderr)
        print(error, file=sys.stderr)
    else:
        print(f"tuitrain: error: {error}", file=sys.stderr)


def _silence_stdout() -> None:
    """After a closed pipe (`tuitrain schema | head`), drop what is left instead of failing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The parsed command line; bare `tuitrain` means `tuitrain run default`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        args = parser.parse_args(["run"])
    # As typed: `--devices N` starts workers that run this same command line.
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    try:
        args = parse(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except SystemExit as exc:  # argparse's --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (OK if exc.code is None else FAILED)
    except UserError as exc:
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return FAILED
