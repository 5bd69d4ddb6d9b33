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

Then (unless --no-steps) the cost of one sampled step itself: the preset's network and data
built as the engine builds them, `--pairs` pairs of an ordinary step and a sampled one (the
probe attached, after_backward, after_step, the read), each timed in CPU time of the process
with the device synchronized; the median extra cost of a sampled step, over
train.diagnose.layers_every ordinary steps, is the layer sampling's share of training.

    python -m benchmarks.diagnostics --wait-quiet 300             # CPU, ~3 minutes
    python -m benchmarks.diagnostics --device cuda --preset cifar10-fast
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmarks.common import (
    SUMMARY,
    Contention,
    Recorder,
    add_common_args,
    median,
    sync,
    table,
)
from benchmarks.harness import clocks, real_run
from benchmarks.presets import BenchPreset, bench_preset
from tuitrain.engine import events as ev
from tuitrain.engine.layerprobe import LayerProbe
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.setup import Setup, build_setup

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


def step_costs(bench: BenchPreset, pairs: int, device: str) -> tuple[float, float]:
    """Median CPU seconds of an ordinary step and of a sampled one, alternating."""
    setup = build_setup(bench.preset, resolve_runtime(bench.preset.train), log=lambda _: None)
    probe = LayerProbe(setup.model, every=1)
    batches = setup.data.train.epoch(0)
    plain: list[float] = []
    sampled: list[float] = []
    for i in range(pairs + 2):  # the first two pairs warm up
        for times, probed in ((plain, None), (sampled, probe)):
            x, y = next(batches)  # the epoch holds more batches than the pairs take
            sync(device)
            start = clocks()[1]
            one_step(setup, x, y, probed)
            sync(device)
            if i >= 2:
                times.append(clocks()[1] - start)
    return median(plain), median(sampled)


def one_step(setup: Setup, x: torch.Tensor, y: torch.Tensor, probe: LayerProbe | None) -> None:
    """The engine's step (engine.step.optimizer_step without a scaler or clipping)."""
    if probe is not None:
        probe.attach(1)
    with setup.runtime.autocast():
        logits = setup.model(x)
    F.cross_entropy(logits.float(), y).backward()
    if probe is not None:
        probe.after_backward()
    setup.optimizer.step()
    if probe is not None:
        probe.after_step()
        probe.read()
    setup.optimizer.zero_grad(set_to_none=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds (after warm-up)")
    parser.add_argument("--pairs", type=int, default=40, help="step pairs timed (40)")
    parser.add_argument("--no-steps", action="store_true", help="skip the per-step timing")
    parser.add_argument("--no-runs", action="store_true", help="skip the whole runs")
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny runs, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.steps_per_epoch, args.rounds, args.pairs = 1, 60, 1, 3
    recorder = Recorder("diagnostics", args.device, args.json_out, args.wait_quiet)
    rows = []
    if not args.no_steps:
        rows.append(per_step(args, recorder))
    if not args.no_runs:
        rows += whole_runs(args, recorder)
    print(SUMMARY)
    print(table(("measure", "median", "per round"), rows))


def per_step(args: argparse.Namespace, recorder: Recorder) -> tuple[str, str, str]:
    bench = bench_preset(
        args.preset, args.device, epochs=1, steps_per_epoch=max(8, 2 * args.pairs + 8)
    )
    every = bench.preset.train.diagnose.layers_every or 50
    plain, sampled = step_costs(bench, args.pairs, args.device)
    share = (sampled - plain) / (every * plain)
    recorder.emit(
        "step",
        pairs=args.pairs,
        plain_step_cpu_ms=round(plain * 1000, 3),
        sampled_step_cpu_ms=round(sampled * 1000, 3),
        layers_every=every,
        share_of_training=round(share, 5),
    )
    detail = f"{plain * 1000:.1f} ms a step, {sampled * 1000:.1f} sampled"
    return (f"layer sampling, one step in {every}", f"{share:+.2%}", detail)


def whole_runs(args: argparse.Namespace, recorder: Recorder) -> list[tuple[str, str, str]]:
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
    return [
        ("wall time, on / off", f"{wall:.3f}", f"{min(ratios):.3f}-{max(ratios):.3f}"),
        ("CPU time, on / off", f"{cpu:.3f}", f"{min(cpu_ratios):.3f}-{max(cpu_ratios):.3f}"),
    ]


if __name__ == "__main__":
    main()
