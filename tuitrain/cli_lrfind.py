"""`tuitrain lr-find`: sweep the learning rate on a throw-away network, suggest a rate, and
optionally start the real run with it."""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from typing import TYPE_CHECKING

from tuitrain.cli_common import Command, add_runs_dir, add_set_option, can_draw
from tuitrain.errors import UserError
from tuitrain.lrfind.suggest import fall, smooth

if TYPE_CHECKING:  # the sweep imports torch, which --help never loads
    from tuitrain.lrfind.suggest import Suggestion
    from tuitrain.lrfind.sweep import Sweep, SweepSettings

TABLE_ROWS = 25
"""Rows of the headless table (the whole curve is in the run directory's lr_find.csv)."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 10 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be between 10 and 100000, not {value}")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    from tuitrain.lrfind.suggest import DEFAULT_RULE, RULES

    parser.add_argument("preset", metavar="PRESET", help="a preset file or a bundled preset's name")
    add_set_option(parser)
    parser.add_argument("--device", help="shortcut for --set train.device=D")
    parser.add_argument("--steps", type=_steps, default=100, help="steps of the sweep (100)")
    parser.add_argument("--start-lr", type=_positive_float, default=1e-6, metavar="LR")
    parser.add_argument("--end-lr", type=_positive_float, default=10.0, metavar="LR")
    parser.add_argument(
        "--stop-factor",
        type=_positive_float,
        default=4.0,
        metavar="X",
        help="stop once the smoothed loss exceeds X times its best (4)",
    )
    parser.add_argument(
        "--rule",
        choices=list(RULES),
        default=DEFAULT_RULE,
        help=f"which suggestion to use (default {DEFAULT_RULE}; see docs/lr-find.md)",
    )
    parser.add_argument(
        "--apply", action="store_true", help="then train the preset at the suggested rate"
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="a table instead of the drawing (automatic "
        "without a terminal); with --apply, also the run",
    )
    add_runs_dir(parser)
    parser.add_argument("--name", help="name of the run --apply starts (default: the preset's)")


def lr_find(args: argparse.Namespace) -> int:
    from tuitrain.config.loader import load_preset
    from tuitrain.lrfind.sweep import SweepSettings, run_sweep

    if args.start_lr >= args.end_lr:
        raise UserError(f"--start-lr {args.start_lr:g} must be below --end-lr {args.end_lr:g}")
    overrides = list(args.overrides) + ([f"train.device={args.device}"] if args.device else [])
    loaded = load_preset(args.preset, overrides)
    settings = SweepSettings(
        start_lr=args.start_lr, end_lr=args.end_lr, steps=args.steps, stop_factor=args.stop_factor
    )
    headless = args.headless or not can_draw()
    started = time.time()
    sweep = run_sweep(loaded.preset, settings, log=_progress)
    suggestion = _report(args, loaded.name, settings, sweep, started, headless)
    if suggestion is None:
        raise UserError(
            "the loss did not fall clearly during the sweep, so there is no rate to suggest",
            hint=f"the network needs more steps to start learning: try --steps {args.steps * 3}",
        )
    if not args.apply:
        return 0
    return _apply(args, overrides, suggestion, headless)


def _progress(message: str) -> None:
    print(f"lr-find: {message}", file=sys.stderr, flush=True)


def _report(
    args: argparse.Namespace,
    name: str,
    settings: SweepSettings,
    sweep: Sweep,
    started: float,
    headless: bool,
) -> float | None:
    """Save the sweep, show it (drawing or table) and what it suggests; the chosen rate."""
    from tuitrain.lrfind.plot import draw
    from tuitrain.lrfind.record import save_sweep
    from tuitrain.lrfind.suggest import suggest
    from tuitrain.runs.rundir import RunDirectory

    suggestions = suggest(sweep.lrs, sweep.losses, sweep.beta)
    chosen = suggestions[args.rule]
    run = RunDirectory.create(args.runs_dir, f"lr-find-{name}")
    run.checkpoints.rmdir()  # a sweep saves no weights
    csv_path = save_sweep(
        run,
        preset_name=name,
        settings=settings,
        sweep=sweep,
        suggestions=suggestions,
        rule=args.rule,
        started=started,
    )
    smoothed = smooth(sweep.losses, sweep.beta)
    if headless:
        print(format_table(sweep.lrs, sweep.losses, smoothed, chosen.index))
    else:
        size = shutil.get_terminal_size()
        lines = draw(
            sweep.lrs,
            sweep.losses,
            smoothed,
            chosen.lr,
            width=size.columns,
            height=max(8, size.lines - 6),
        )
        print("\n".join(lines))
    for line in summary(args.preset, sweep, suggestions, args.rule):
        print(line)
    print(f"saved {csv_path}")
    return chosen.lr


def summary(preset: str, sweep: Sweep, suggestions: dict[str, Suggestion], rule: str) -> list[str]:
    """What the sweep found, the rule used and the line to paste."""
    chosen = suggestions[rule]
    ending = "stopped early: the loss diverged" if sweep.stopped_early else "reached the end"
    head = f"{len(sweep.lrs)} steps in {sweep.seconds:.1f} s on {sweep.device}, {ending}"
    if chosen.lr is None:
        dropped = fall(smooth(sweep.losses, sweep.beta))
        return [head, f"no suggestion: the smoothed loss fell by {dropped:.0%} at most"]
    others = ", ".join(
        f"{n} {s.lr:.2g}" for n, s in suggestions.items() if n != rule and s.lr is not None
    )
    return [
        head,
        f"suggested learning rate {chosen.lr:.2g} ({rule}{'; ' + others if others else ''})",
        f"  tuitrain run {preset} --set optim.lr={chosen.lr:.2g}",
    ]


def format_table(
    lrs: list[float], losses: list[float], smoothed: list[float], mark: int | None
) -> str:
    """Every n-th step as a row (and the suggested one, marked with <)."""
    every = max(1, math.ceil(len(lrs) / TABLE_ROWS))
    shown = set(range(0, len(lrs), every)) | {len(lrs) - 1}
    if mark is not None:
        shown.add(mark)
    lines = [f"{'step':>5}  {'lr':>9}  {'loss':>9}  {'smoothed':>9}"]
    for i in sorted(shown):
        flag = "  < suggested" if i == mark else ""
        lines.append(f"{i + 1:>5}  {lrs[i]:>9.2e}  {losses[i]:>9.4g}  {smoothed[i]:>9.4g}{flag}")
    return "\n".join(lines)


def _apply(args: argparse.Namespace, overrides: list[str], lr: float, headless: bool) -> int:
    from tuitrain.config.loader import load_preset
    from tuitrain.launch import LaunchOptions, start_run

    loaded = load_preset(args.preset, [*overrides, f"optim.lr={lr:.2g}"])
    print(f"starting the run at optim.lr={lr:.2g}")
    options = LaunchOptions(runs_dir=args.runs_dir, name=args.name, headless=headless)
    return start_run(loaded, options)


LRFIND_COMMANDS = [
    Command(
        "lr-find",
        "sweep the learning rate on a throw-away network and suggest one",
        _arguments,
        lr_find,
        example="examples:\n  tuitrain lr-find default\n"
        "  tuitrain lr-find adam --set data.batch_size=128 --apply",
    )
]
