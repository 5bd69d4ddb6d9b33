"""`tuitrain study`: run a study file (or a bundled study), or resume a study directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tuitrain.cli_common import Command, add_set_option
from tuitrain.errors import UserError

if TYPE_CHECKING:
    from tuitrain.study.loader import LoadedStudy
    from tuitrain.study.plan import Plan, StudyDirectory
    from tuitrain.study.runner import RunnerOptions

STUDIES_DIR = Path("studies")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "study", nargs="?", metavar="FILE|NAME", help="a study file, or a bundled study's name"
    )
    parser.add_argument("--resume", type=Path, metavar="DIR", help="run what a study has left")
    parser.add_argument("--list", action="store_true", help="list the bundled studies")
    parser.add_argument(
        "--dry-run", action="store_true", help="check the study and print its plan; run nothing"
    )
    add_set_option(parser)
    parser.add_argument(
        "--parallel", type=_positive, default=1, metavar="N", help="runs at once (default 1)"
    )
    parser.add_argument(
        "--devices",
        metavar="LIST",
        default="",
        help="comma-separated devices given to the parallel runs in turn, e.g. cuda:0,cuda:1",
    )
    parser.add_argument("--headless", action="store_true", help="plain lines, no monitor")
    parser.add_argument(
        "--studies-dir",
        type=Path,
        default=STUDIES_DIR,
        metavar="DIR",
        help="where study directories are created (default: ./studies)",
    )


def study(args: argparse.Namespace) -> int:
    from tuitrain.study.runner import RunnerOptions

    if args.list:
        return _list()
    devices = tuple(device for device in args.devices.split(",") if device.strip())
    options = RunnerOptions(parallel=args.parallel, devices=devices)
    if args.resume is not None:
        if args.study or args.overrides:
            raise UserError("--resume DIR runs the study's own plan; give no study or --set")
        from tuitrain.study.session import open_study

        directory, plan = open_study(args.resume)
        return _run(directory, plan, options, args.headless)
    if not args.study:
        raise UserError("name a study", hint="tuitrain study --list shows the bundled ones")
    loaded = _load(args.study, args.overrides)
    if args.dry_run:
        return _print_plan(loaded)
    from tuitrain.study.session import create_study

    directory, plan = create_study(loaded, args.studies_dir)
    return _run(directory, plan, options, args.headless)


def _load(ref: str, overrides: list[str]) -> LoadedStudy:
    from tuitrain.config.problems import PresetError
    from tuitrain.study.loader import load_study

    try:
        return load_study(ref, overrides)
    except PresetError as exc:
        count = len(exc.problems)
        noun = "problem" if count == 1 else "problems"
        print(f"tuitrain: error: {count} {noun} in the study:", file=sys.stderr)
        print(exc, file=sys.stderr)
        raise SystemExit(UserError.exit_code) from None


def _print_plan(loaded: LoadedStudy) -> int:
    seeds = loaded.seeds
    print(f"{loaded.source}: {len(loaded.variants)} variants x {len(seeds)} seeds")
    for variant in loaded.variants:
        preset = variant.loaded.preset
        print(f"  {variant.name}  ({variant.loaded.name}, {preset.train.epochs} epochs)")
    for claim in loaded.claims:
        print(f"  claim: {claim.text}")
    return 0


def _list() -> int:
    from tuitrain.study.bundled import bundled_studies

    listing = bundled_studies()
    width = max((len(name) for name, _ in listing), default=0)
    for name, description in listing:
        print(f"{name:<{width}}  {description}".rstrip())
    return 0


def _run(directory: StudyDirectory, plan: Plan, options: RunnerOptions, headless: bool) -> int:
    from tuitrain.cli_common import can_draw

    if headless or not (can_draw() and sys.stdin.isatty()):
        from tuitrain.study.live import run_headless

        return run_headless(directory, plan, options)
    from tuitrain.study.live import run_monitored

    return run_monitored(directory, plan, options)


STUDY_COMMAND = Command(
    "study",
    "train a set of presets side by side over seeds; a results table and claim verdicts",
    _arguments,
    study,
    example="examples:\n  tuitrain study --list\n  tuitrain study optimizers\n"
    "  tuitrain study mine.yaml --parallel 2 --headless\n"
    "  tuitrain study --resume studies/20261201-120000-optimizers",
)
