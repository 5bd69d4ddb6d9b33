"""Progress reports: when one is due, and what it says (throughput, ETAs).

A report is the only host-device sync within an epoch (the trainer reads the meter for it), so
reports go out at most every train.report.seconds (and every train.report.steps). The reporter
never reads the device itself: the trainer hands it the meter's reading.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from tuitrain.config.train import Train
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.clock import Clock
from tuitrain.engine.meter import Reading
from tuitrain.engine.state import Progress
from tuitrain.engine.tracking import Best, EpochVerdict


@dataclass(frozen=True)
class Window:
    """Where the previous progress report left off."""

    elapsed: float
    step: int
    reading: Reading


class Reporter:
    """Turns meter readings into StepProgress and EpochEnded events, with rates and ETAs."""

    def __init__(self, train: Train, *, batches: int, has_val: bool, clock: Clock) -> None:
        self._train = train
        self._batches = batches
        self._has_val = has_val
        self._clock = clock
        self._window = Window(0.0, 0, Reading(0.0, 0.0, 0, False))
        self._next_report = 0.0

    def start_epoch(self, step: int, reading: Reading) -> None:
        """An epoch starts from `reading` (the meter carries over on a resume mid-epoch)."""
        self._window = Window(self._clock.elapsed(), step, reading)
        self._next_report = time.monotonic() + self._train.report.seconds

    def due(self, step: int) -> bool:
        """Whether a report should go out after `step` (and if so, start the next wait)."""
        every = self._train.report.steps
        now = time.monotonic()
        if now >= self._next_report or (every is not None and step % every == 0):
            self._next_report = now + self._train.report.seconds
            return True
        return False

    def report_soon(self) -> None:
        """Make the next step report (after a pause, the user wants to see the run move)."""
        self._next_report = time.monotonic()

    def progress(
        self,
        reading: Reading,
        progress: Progress,
        lr: float,
        memory_mb: float | None,
        rank_memory_mb: tuple[float, ...] = (),
    ) -> ev.StepProgress | None:
        """The report for the steps since the previous one; None when there were none.
        `rank_memory_mb`: each rank's device memory, when several train the run."""
        window = self._window
        if progress.step == window.step:
            return None  # nothing new since the previous report
        now = self._clock.elapsed()
        seconds = now - window.elapsed
        images = reading.count - window.reading.count
        self._clock.observe_steps(progress.step - window.step, seconds)
        self._window = Window(now, progress.step, reading)
        batches = self._batches
        return ev.StepProgress(
            step=progress.step,
            epoch=progress.epoch + 1,
            batch=progress.batch,
            batches=batches,
            loss=_ratio(reading.loss_sum - window.reading.loss_sum, images),
            acc=_ratio(reading.correct - window.reading.correct, images),
            lr=lr,
            images_per_s=per_second(images, seconds),
            elapsed_s=now,
            eta_epoch_s=self._eta(
                progress, batches - progress.batch, self._vals_left(progress, True)
            ),
            eta_run_s=self.eta_run(progress),
            memory_mb=memory_mb,
            rank_memory_mb=rank_memory_mb,
        )

    def validated(
        self, progress: Progress, reading: Reading, seconds: float, source: str, cmd_id: str | None
    ) -> ev.Validated:
        return ev.Validated(
            step=progress.step,
            epoch=progress.epoch + progress.batch / self._batches,
            val_loss=reading.loss,
            val_acc=reading.acc,
            seconds=seconds,
            source=source,
            cmd_id=cmd_id,
        )

    def epoch_ended(
        self,
        progress: Progress,
        metrics: dict[str, float],
        verdict: EpochVerdict,
        best: Best,
        lr: float,
        train: Reading,
        epoch_s: float,
        val_s: float,
    ) -> ev.EpochEnded:
        """The epoch's summary; `progress` already counts the epoch as done, `train` is the
        epoch's training reading, `val_s` the time its validations took within `epoch_s`."""
        images = train.count
        val_acc = metrics.get("val_acc")
        return ev.EpochEnded(
            epoch=progress.epoch,
            epochs=self._train.epochs,
            step=progress.step,
            train_loss=metrics["train_loss"],
            train_acc=metrics["train_acc"],
            val_loss=metrics.get("val_loss"),
            val_acc=val_acc,
            lr=lr,
            epoch_s=epoch_s,
            images_per_s=per_second(images, epoch_s - val_s),
            elapsed_s=progress.elapsed,
            eta_run_s=self.eta_run(progress),
            best_metric=best.metric,
            best_value=best.value,
            is_best=verdict.is_best,
            fit=verdict.fit,
            train_val_gap=None if val_acc is None else metrics["train_acc"] - val_acc,
        )

    def finished(
        self,
        progress: Progress,
        best: Best,
        status: str,
        reason: str,
        command: cmd.Command | None,
        unsaved: str = "",
    ) -> ev.Finished:
        return ev.Finished(
            unsaved=unsaved,
            status=status,
            step=progress.step,
            epoch=progress.epoch,
            elapsed_s=self._clock.elapsed(),
            best_metric=best.metric,
            best_value=best.value,
            reason=reason,
            source=command.source if command else "engine",
            cmd_id=command.id if command else None,
        )

    def val_due(self, epoch: int) -> bool:
        """Whether the 0-based epoch ends with a validation."""
        train = self._train
        every, last = train.val_every_epochs, train.epochs
        return self._has_val and ((epoch + 1) % every == 0 or epoch + 1 == last)

    def eta_run(self, progress: Progress) -> float | None:
        steps_left = (self._train.epochs - progress.epoch) * self._batches - progress.batch
        return self._eta(progress, steps_left, self._vals_left(progress, False))

    def _vals_left(self, progress: Progress, this_epoch_only: bool) -> int:
        epoch = progress.epoch
        last = epoch + 1 if this_epoch_only else self._train.epochs
        return sum(1 for e in range(epoch, last) if self.val_due(e))

    def _eta(self, progress: Progress, steps_left: int, epoch_end_validations: int) -> float | None:
        every = self._train.val_every_steps
        within = 0
        if every and self._has_val:
            within = mid_epoch_validations(progress.step, steps_left, every, self._batches)
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
