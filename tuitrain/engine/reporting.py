"""Progress reports: throughput and ETAs, read back from the device at a bounded rate."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from tuitrain.engine import events as ev
from tuitrain.engine.core import TrainerCore
from tuitrain.engine.meter import Reading


@dataclass(frozen=True)
class Window:
    """Where the previous progress report left off."""

    elapsed: float
    step: int
    reading: Reading


class Reporting(TrainerCore):
    """The trainer's progress reports. A report is the only host-device sync within an epoch,
    so reports are sent at most every train.report.seconds (and every report.steps)."""

    _window: Window
    _next_report: float

    def _maybe_report(self) -> None:
        every = self.preset.train.report.steps
        now = time.monotonic()
        if now >= self._next_report or (every is not None and self._progress.step % every == 0):
            self._next_report = now + self.preset.train.report.seconds
            self._report()

    def _report(self) -> None:
        reading = self._meter.read()  # the one host-device sync of a report
        if reading.nonfinite:
            self._nonfinite(f"training loss is {reading.loss} at step {self._progress.step}")
        parts, progress, window = self._require_parts(), self._progress, self._window
        if progress.step == window.step:
            return  # nothing new since the previous report
        now = self._clock.elapsed()
        seconds = now - window.elapsed
        images = reading.count - window.reading.count
        self._clock.observe_steps(progress.step - window.step, seconds)
        self._window = Window(now, progress.step, reading)
        batches = parts.data.train.batches_per_epoch
        self._emit(
            ev.StepProgress(
                step=progress.step,
                epoch=progress.epoch + 1,
                batch=progress.batch,
                batches=batches,
                loss=_ratio(reading.loss_sum - window.reading.loss_sum, images),
                acc=_ratio(reading.correct - window.reading.correct, images),
                lr=self._lr,
                images_per_s=per_second(images, seconds),
                elapsed_s=now,
                eta_epoch_s=self._eta(batches - progress.batch, self._vals_left(True)),
                eta_run_s=self._eta_run(),
                memory_mb=parts.runtime.memory_mb(),
            )
        )

    def _val_due(self, epoch: int) -> bool:
        """Whether the 0-based epoch ends with a validation."""
        train = self.preset.train
        has_val = self._require_parts().data.val is not None
        return has_val and ((epoch + 1) % train.val_every_epochs == 0 or epoch + 1 == train.epochs)

    def _vals_left(self, this_epoch_only: bool) -> int:
        epoch = self._progress.epoch
        last = epoch + 1 if this_epoch_only else self.preset.train.epochs
        return sum(1 for e in range(epoch, last) if self._val_due(e))

    def _eta_run(self) -> float | None:
        progress, batches = self._progress, self._require_parts().data.train.batches_per_epoch
        steps_left = (self.preset.train.epochs - progress.epoch) * batches - progress.batch
        return self._eta(steps_left, self._vals_left(False))

    def _eta(self, steps_left: int, epoch_end_validations: int) -> float | None:
        every = self.preset.train.val_every_steps
        parts = self._require_parts()
        within = 0
        if every and parts.data.val is not None:
            batches = parts.data.train.batches_per_epoch
            within = mid_epoch_validations(self._progress.step, steps_left, every, batches)
        return self._clock.eta(steps_left, epoch_end_validations + within)


def mid_epoch_validations(step: int, steps_left: int, every: int, batches: int) -> int:
    """How many `val_every_steps` validations the next steps_left steps after `step` hold:
    the multiples of `every` among them, less those that fall on an epoch's end (where the
    epoch's own validation runs instead)."""
    end, both = step + steps_left, math.lcm(every, batches)
    return (end // every - step // every) - (end // both - step // both)


def per_second(count: int, seconds: float) -> float:
    """A rate, 0 over no time (a window in which the clock did not move)."""
    return count / seconds if seconds > 0 else 0.0


def _ratio(total: float, count: int) -> float:
    return total / count if count else float("nan")
