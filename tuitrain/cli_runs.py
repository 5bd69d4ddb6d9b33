"""The commands that train and inspect runs: run, resume, runs, export.

Each imports torch (through the engine) only when it runs, so `tuitrain --help` stays instant.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tuitrain.cli_common import Command, add_runs_dir, add_set_option, can_draw
from tuitrain.exitcodes import BAD_INPUT
from tuitrain.runs.resolve import where

if TYPE_CHECKING:
    from tuitrain.config.preset import Preset
    from tuitrain.distributed.env import Placement
    from tuitrain.engine.events import Event
    from tuitrain.launch import LaunchOptions


def _launch_options(parser: argparse.ArgumentParser, *, naming: bool) -> None:
    parser.add_argument(
        "--headless",
        action="store_true",
        help="plain log lines instead of the monitor (automatic without a terminal)",
    )
    parser.add_argument(
        "--log-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="headless: seconds between progress lines within an epoch (default 10)",
    )
    add_runs_dir(parser)
    if naming:
        parser.add_argument("--name", help="run name (default: the preset's name)")
    parser.add_argument(
        "--devices",
        type=_positive_int,
        metavar="N",
        help="train data-parallel on N processes (one per GPU)",
    )


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "preset",
        nargs="?",
        default="default",
        metavar="PRESET",
        help="a preset file or a bundled preset's name (default: default)",
    )
    add_set_option(parser)
    parser.add_argument(
        "--device", help="shortcut for --set train.device=D (auto, cpu, cuda, cuda:N)"
    )
    _launch_options(parser, naming=True)


def run(args: argparse.Namespace) -> int:
    from tuitrain.config.loader import load_preset
    from tuitrain.distributed.startup import current_placement

    overrides = list(args.overrides)
    if args.device:
        overrides.append(f"train.device={args.device}")
    placement = current_placement()
    ranks = placement.world_size if placement is not None else args.devices
    loaded = load_preset(args.preset, overrides, world_size=ranks)
    if placement is None or placement.is_primary:
        for remark in loaded.advice:
            print(f"tuitrain: note: {remark}", file=sys.stderr)
    devices = args.devices or loaded.preset.train.devices
    if placement is None and devices > 1:
        return _launch_workers(devices, args)
    from tuitrain.launch import start_run

    options = _options(args, name=args.name)
    if placement is None:
        return start_run(loaded, options)
    _check_devices(args.devices, placement.world_size)
    return _as_rank(placement, loaded.preset, lambda world: start_run(loaded, options, world=world))


def _launch_workers(devices: int, args: argparse.Namespace) -> int:
    """Start the workers through torch.distributed.run, with this command line less --devices."""
    from tuitrain.distributed.launcher import launch, without_devices

    return launch(devices, without_devices(args.argv))


def _check_devices(devices: int | None, world_size: int) -> None:
    from tuitrain.errors import UserError

    if devices is not None and devices != world_size:
        raise UserError(
            f"--devices {devices} under torchrun, which started {world_size} workers",
            hint="leave --devices out under torchrun: its --nproc-per-node and --nnodes decide",
        )


def _as_rank(placement: Placement, preset: Preset, body: Callable[[Any], int]) -> int:
    """Run `body` as one rank of the job: join it, and leave the launcher a one-line reason
    when this rank ends on an error."""
    from tuitrain.distributed.startup import run_as_rank

    return run_as_rank(placement, preset, body)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _resume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory, or a run's name in --runs-dir")
    parser.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="train to N epochs in all (to go on past the end of a finished run)",
    )
    _launch_options(parser, naming=False)


def resume(args: argparse.Namespace) -> int:
    from tuitrain.distributed.startup import current_placement, resumed_preset
    from tuitrain.launch import resume_run
    from tuitrain.runs.resolve import resolve_run

    path = resolve_run(args.run, args.runs_dir)
    options = _options(args, name=None)
    placement = current_placement()
    if placement is None:
        devices = args.devices or resumed_preset(path).train.devices
        if devices > 1:
            return _launch_workers(devices, args)
        return resume_run(path, options, epochs=args.epochs)
    _check_devices(args.devices, placement.world_size)
    preset = resumed_preset(path)
    return _as_rank(
        placement, preset, lambda world: resume_run(path, options, epochs=args.epochs, world=world)
    )


def _options(args: argparse.Namespace, *, name: str | None) -> LaunchOptions:
    from tuitrain.launch import LaunchOptions

    headless = args.headless or not can_draw()  # no terminal to draw the monitor on
    return LaunchOptions(
        runs_dir=args.runs_dir, name=name, headless=headless, log_every=args.log_every
    )


def _runs_arguments(parser: argparse.ArgumentParser) -> None:
    add_runs_dir(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per run")


def list_runs(args: argparse.Namespace) -> int:
    from tuitrain.runs.listing import format_table, list_runs

    runs = list_runs(args.runs_dir)
    if args.json:
        for entry in runs:
            print(json.dumps({"run": str(entry.path), "state": entry.state, **entry.status}))
        return 0
    if not runs:
        print(f"no runs in {where(args.runs_dir)}", file=sys.stderr)
        return 0
    print(format_table(runs))
    return 0


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory, or a run's name in --runs-dir")
    parser.add_argument("--format", choices=("csv", "tensorboard"), default="csv")
    table = parser.add_mutually_exclusive_group()
    table.add_argument(
        "--steps", action="store_true", help="csv: one row per progress report, not per epoch"
    )
    table.add_argument(
        "--classes", action="store_true", help="csv: per-class validation accuracy per epoch"
    )
    table.add_argument(
        "--confusion", action="store_true", help="csv: the last validation's confusion matrix"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="csv: a file (default: standard output); tensorboard: a directory "
        "(default: RUN/tensorboard)",
    )
    add_runs_dir(parser)


def export(args: argparse.Namespace) -> int:
    from tuitrain.runs.export import (
        run_events,
        write_class_accuracy,
        write_confusion,
        write_csv,
    )
    from tuitrain.runs.resolve import resolve_run

    run_dir = resolve_run(args.run, args.runs_dir)
    events = run_events(run_dir, lambda text: print(f"tuitrain: warning: {text}", file=sys.stderr))
    if args.format == "tensorboard":
        return _export_tensorboard(events, args.out or run_dir / "tensorboard")

    def write(out: TextIO) -> int:
        if args.classes:
            return write_class_accuracy(events, out)
        if args.confusion:
            return write_confusion(events, out)
        return write_csv(events, out, steps=args.steps)

    if args.out is None:
        write(sys.stdout)
        return 0
    problem = _csv_file_problem(args.out)
    if problem:
        return _bad_out(args.out, problem)
    table = io.StringIO()
    rows = write(table)  # first: a run without the table leaves no empty file behind
    try:
        with open(args.out, "w", encoding="utf-8", newline="") as handle:
            handle.write(table.getvalue())
    except OSError as exc:
        return _bad_out(args.out, exc.strerror or str(exc))
    print(f"wrote {rows} rows to {args.out}", file=sys.stderr)
    return 0


def _export_tensorboard(events: list[Event], out: Path) -> int:
    """Write (or replace) the TensorBoard export in `out`; a failure leaves no folder behind."""
    from tuitrain.runs.export import (
        previous_tensorboard_files,
        tensorboard_writer,
        write_tensorboard,
    )

    tensorboard_writer()  # before any folder is made: without tensorboard, nothing is left
    created = not out.exists()
    problem = _tensorboard_dir_problem(out)
    if problem:
        return _bad_out(out, problem)
    replaced = len(previous_tensorboard_files(out))
    try:
        count = write_tensorboard(events, out)
    except OSError as exc:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        return _bad_out(out, exc.strerror or str(exc))
    if replaced:
        print(f"replaced the previous export in {out} ({replaced} event file(s) removed)")
    print(f"wrote {count} scalars to {out}  (view: tensorboard --logdir {out})")
    return 0


def _bad_out(path: Path, problem: str) -> int:
    """`tuitrain export: PATH: what is wrong`, and the exit code of a user's error."""
    print(f"tuitrain export: {path}: {problem}", file=sys.stderr)
    return BAD_INPUT


def _csv_file_problem(out: Path) -> str:
    if out.is_dir():
        return "is a directory; --out takes a file for csv"
    folder = out.parent
    if not folder.exists():
        return f"no such directory: {folder}"
    if not folder.is_dir():
        return f"{folder} is not a directory"
    return ""


def _tensorboard_dir_problem(out: Path) -> str:
    """Why `out` cannot hold TensorBoard event files; creates it (and its parents) if need be."""
    if out.exists() and not out.is_dir():
        return "exists and is not a directory; --format tensorboard writes a directory"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the directory: {exc.strerror or exc}"
    return ""


RUN_COMMANDS = [
    Command(
        "run",
        "train a preset, with the monitor in a terminal, headless otherwise",
        _run_arguments,
        run,
        example="examples:\n  tuitrain run default\n  tuitrain run adam --set train.epochs=20\n"
        "  nohup tuitrain run cifar10-resnet18 --headless > train.log 2>&1 &",
    ),
    Command(
        "resume",
        "continue a stopped, interrupted or crashed run from its last checkpoint",
        _resume_arguments,
        resume,
        example="example:\n  tuitrain resume runs/20261127-181500-default",
    ),
    Command("runs", "list runs with their status and best result", _runs_arguments, list_runs),
    Command(
        "export",
        "export a run's metrics as CSV or TensorBoard event files",
        _export_arguments,
        export,
        example="examples:\n  tuitrain export 20261127-1815 > metrics.csv\n"
        "  tuitrain export 20261127-1815 --format tensorboard",
    ),
]
