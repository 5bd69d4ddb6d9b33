"""What do layer health and per-class counts cost? The same engine run with diagnostics at
their defaults (a layer sample every train.diagnose.layers_every = 50 steps, the confusion
matrix at each validation) against the same run with both off, alternating, in one process.

Each run is a real one (run directory, run log, control channel; benchmarks.harness.real_run)
of `--preset` (default) on synthetic data of the preset's shape, `--epochs` x
`--steps-per-epoch` steps, validating after the last epoch only and saving no checkpoint
before the end. Its clock runs from the RunStarted event to the Finished event, so the final
validation (where the matrix is counted) is inside it. Round 0 is warm-up and dropped; the
ratio is the median of each round's own on/off ratio (slow drift of the machine cancels), by
wall time and by CPU time of the process per step.

    python -m benchmarks.diagnostics --wait-quiet 300             # CPU, ~3 minutes
    python -m benchmarks.diagnostics --device cuda --preset cifar10-fast
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from benchmarks.common import SUMMARY, Contention, Recorder, add_common_args, median, table
from benchmarks.harness import clocks, real_run
from benchmarks.presets import bench_preset
from tuitrain.engine import events as ev

MODES = {
    "off": ("train.diagnose.layers_every=null", "train.diagnose.classes=false"),
    "on": (),  # the defaults
}
GOAL = 1.02
"""Diagnostics on may take at most 2% more than off (the issue's goal on the CPU)."""


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    steps: int
    layer_samples: int
    others_cores: float


class Clock:
    """From the run's start to its end, timed from the engine's own events."""

    def __init__(self) -> None:
        self.start = self.end = (0.0, 0.0)
        self.samples = 0

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.start = clocks()
        elif isinstance(event, ev.LayersSampled):
            self.samples += 1
        elif isinstance(event, ev.Finished | ev.Failed):
            self.end = clocks()


def measure(mode: str, args: argparse.Namespace) -> Run:
    bench = bench_preset(
        args.preset,
        args.device,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        overrides=MODES[mode],
    )
    clock = Clock()
    with Contention() as contention, real_run(bench) as (trainer, _):
        trainer.subscribe(clock)
        trainer.run()
    steps = args.epochs * args.steps_per_epoch
    return Run(
        seconds=clock.end[0] - clock.start[0],
        cpu_seconds=clock.end[1] - clock.start[1],
        steps=steps,
        layer_samples=clock.samples,
        others_cores=contention.others_cores,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds (after warm-up)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny runs, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.steps_per_epoch, args.rounds = 1, 60, 1
    recorder = Recorder("diagnostics", args.device, args.json_out, args.wait_quiet)
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    for round_index in range(args.rounds + 1):
        runs = {mode: measure(mode, args) for mode in MODES}
        for mode, run in runs.items():
            recorder.emit(
                "run",
                round=round_index,
                mode=mode,
                seconds=round(run.seconds, 3),
                cpu_seconds=round(run.cpu_seconds, 3),
                steps=run.steps,
                layer_samples=run.layer_samples,
                other_processes_cores=round(run.others_cores, 3),
                warm_up=round_index == 0,
            )
        if round_index > 0:
            ratios.append(runs["on"].seconds / runs["off"].seconds)
            cpu_ratios.append(runs["on"].cpu_seconds / runs["off"].cpu_seconds)
    wall, cpu = median(ratios), median(cpu_ratios)
    recorder.emit(
        "summary",
        rounds=len(ratios),
        on_over_off_wall=round(wall, 4),
        on_over_off_cpu=round(cpu, 4),
        per_round_wall=[round(r, 4) for r in ratios],
        per_round_cpu=[round(r, 4) for r in cpu_ratios],
        goal=GOAL,
    )
    print(SUMMARY)
    rows = [
        ("wall time, on / off", f"{wall:.3f}", f"{min(ratios):.3f}-{max(ratios):.3f}"),
        ("CPU time, on / off", f"{cpu:.3f}", f"{min(cpu_ratios):.3f}-{max(cpu_ratios):.3f}"),
    ]
    print(table(("measure", "median", "per round"), rows))


if __name__ == "__main__":
    main()
