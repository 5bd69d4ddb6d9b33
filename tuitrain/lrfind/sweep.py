"""The learning-rate range test: a throw-away copy of the preset's network trained for a few
hundred steps while the rate rises exponentially, stopped once the loss blows up.

The network, optimizer and data come from the engine's own building functions, so the sweep
sees exactly what a run of the preset would (model and data kind, device, precision, momentum,
weight decay, augmentation); only the schedule is replaced by the sweep's rates. Nothing is
saved but the curve.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from tuitrain.config.preset import Preset
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.setup import Setup, build_setup
from tuitrain.engine.step import optimizer_step
from tuitrain.lrfind.suggest import smooth, smoothing

CHECK_EVERY = 10
"""Steps between two reads of the losses from the device (the divergence check)."""


@dataclass(frozen=True)
class SweepSettings:
    start_lr: float = 1e-6
    end_lr: float = 10.0
    steps: int = 100
    stop_factor: float = 4.0
    """Stop once the smoothed loss exceeds this multiple of its best (Lightning's rule)."""

    def rate(self, step: int) -> float:
        """The rate of step `step` (0-based): start_lr to end_lr, evenly in log."""
        if self.steps == 1:
            return self.start_lr
        return float(self.start_lr * (self.end_lr / self.start_lr) ** (step / (self.steps - 1)))


@dataclass(frozen=True)
class Sweep:
    lrs: list[float]
    losses: list[float]
    """Training loss of each step, at the rate of the same index."""
    beta: float
    """The smoothing the sweep was judged with (see suggest.smoothing)."""
    stopped_early: bool
    """The loss diverged before the last rate."""
    seconds: float
    device: str


def run_sweep(
    preset: Preset, settings: SweepSettings, *, log: Callable[[str], None] = lambda _: None
) -> Sweep:
    runtime = resolve_runtime(preset.train)
    log(f"building the network and data on {runtime.device_name}")
    parts = build_setup(preset, runtime, log=log)
    started = time.monotonic()
    losses = torch.full((settings.steps,), math.nan, device=runtime.device)
    values: list[float] = []
    stopped = False
    batches = _batches(parts)
    for step in range(settings.steps):
        x, y = next(batches)
        for group in parts.optimizer.param_groups:
            group["lr"] = settings.rate(step)
        losses[step] = optimizer_step(parts, preset.train, x, y)[0].detach()
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == settings.steps:
            values = losses[: step + 1].tolist()  # the sweep's only reads from the device
            cut = diverged_at(values, settings.stop_factor, smoothing(settings.steps))
            if cut is not None:
                values, stopped = values[: cut + 1], True
                break
            log(f"step {step + 1}/{settings.steps}  lr {settings.rate(step):.2e}")
    return Sweep(
        lrs=[settings.rate(i) for i in range(len(values))],
        losses=values,
        beta=smoothing(settings.steps),
        stopped_early=stopped,
        seconds=time.monotonic() - started,
        device=str(runtime.device),
    )


def diverged_at(losses: list[float], stop_factor: float, beta: float) -> int | None:
    """The first step whose loss is not finite or whose smoothed loss exceeds stop_factor times
    the best smoothed loss before it; None while the loss holds."""
    for i, loss in enumerate(losses):
        if not math.isfinite(loss):
            return i
    smoothed = smooth(losses, beta)
    best = smoothed[0] if smoothed else math.inf
    for i, value in enumerate(smoothed[1:], start=1):
        if value > stop_factor * best:
            return i
        best = min(best, value)
    return None


def _batches(parts: Setup) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Training batches, epoch after epoch, for as long as the sweep asks."""
    epoch = 0
    while True:
        yield from parts.data.train.epoch(epoch)
        epoch += 1
