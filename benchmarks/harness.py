"""A trainer wired the way `tuitrain run` wires it, and a clock on its training window."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor

from benchmarks.presets import BenchPreset
from tuitrain.control.server import ControlServer
from tuitrain.data import prepare_data
from tuitrain.engine import events as ev
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.trainer import Trainer
from tuitrain.runs.log import RunLog
from tuitrain.runs.rundir import RunDirectory


class Timing(NamedTuple):
    seconds: float
    """Wall time of the training window."""
    cpu_seconds: float
    """CPU time of the whole process (every thread) over the same window."""


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


class Window:
    """The training window of one engine run, timed from the engine's own events."""

    def __init__(self, last_step: int) -> None:
        self.last_step = last_step
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.start = clocks()
        elif (
            isinstance(event, ev.StepProgress) and self.end is None and event.step >= self.last_step
        ):
            self.end = clocks()

    @property
    def timing(self) -> Timing:
        if self.start is None or self.end is None:
            raise RuntimeError("the run ended before its last step was reported")
        return Timing(self.end[0] - self.start[0], self.end[1] - self.start[1])


@contextlib.contextmanager
def real_run(bench: BenchPreset, *, check: bool = True) -> Iterator[tuple[Trainer, Window]]:
    """A trainer with what `tuitrain run` gives it: run directory, run log, control channel."""
    with tempfile.TemporaryDirectory(prefix="tuitrain-bench-") as tmp:
        run = RunDirectory.create(Path(tmp), bench.name)
        trainer = Trainer(
            bench.preset,
            name=bench.name,
            resolved=bench.resolved,
            run_dir=str(run.path),
            checkpoints=run,
        )
        train = bench.preset.train
        window = Window(train.epochs * steps_per_epoch(bench))
        trainer.subscribe(window)
        log = RunLog(run, preset_name=bench.name, epochs=train.epochs)
        trainer.subscribe(log)
        control = ControlServer.for_run(
            run.path, trainer.submit, lock=trainer.bus.lock, history_offset=lambda: log.offset
        )
        log.set_control(str(control.start()))
        trainer.subscribe(control.on_event)
        try:
            yield trainer, window
        finally:
            control.close()
            log.close()
        if check and not isinstance(trainer.result, ev.Finished):
            raise RuntimeError(f"the run did not finish: {trainer.result}")


def steps_per_epoch(bench: BenchPreset) -> int:
    """Known without drawing the data only for the sized presets of presets.py (else -1)."""
    images = bench.preset.data.train_subset
    return -(-images // bench.batch_size) if images is not None else -1


@dataclass(frozen=True)
class BareData:
    images: Tensor  # N x C x H x W uint8 on the device
    labels: Tensor
    mean: Tensor  # 1 x C x 1 x 1
    std: Tensor
    num_classes: int


def bare_data(bench: BenchPreset) -> BareData:
    """The very images the engine trains on, and its normalization statistics."""
    runtime = resolve_runtime(bench.preset.train)
    data = prepare_data(
        bench.preset.data, bench.preset.augment, device=runtime.device, seed=0, log=lambda m: None
    )
    loader = data.train
    images, labels = loader.images, loader.labels  # type: ignore[attr-defined]
    shape = (1, len(data.mean), 1, 1)
    mean = torch.tensor(data.mean, device=runtime.device).view(shape)
    std = torch.tensor(data.std, device=runtime.device).view(shape)
    return BareData(images, labels, mean, std, data.num_classes)
