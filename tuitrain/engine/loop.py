"""The training loop, read top to bottom: setup, epoch, step, validation, end of epoch, finish.

A `TrainingRun` is one run of the loop: its `__init__` is the setup, its `train` the loop.
Everything that is not the loop is a part the run owns and calls through a small interface;
no part calls another:

  setup.Setup                      runtime, data, model, optimizer, learning rate, scaler
  reporter.Reporter                when a progress report is due, and what it says
  checkpointer.Checkpointer        what a checkpoint holds: save, restore, snapshot, roll back
  command_handler.CommandHandler   queued commands, applied at step boundaries (`Steerable`)
  numeric_guard.NumericGuard       the non-finite loss policy: roll back or fail
  tracking.EpochTracker            the best value, early stopping, the fit diagnosis
  world.World                      rank awareness (see world.py)
  layerhealth.LayerHealth          layer statistics of one sampled step per interval
  confusion.ValidationPart         what a validation counts besides its loss (the confusion
                                   matrix; samples.SampleKeeper's mistakes, as pictures)

The per-step path makes no host-device sync: the meter adds on the device, and only a report
reads it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.checkpointer import Checkpointer, resumed_events, saved_stats
from tuitrain.engine.clock import Clock
from tuitrain.engine.command_handler import CommandHandler, rejection
from tuitrain.engine.confusion import ConfusionCounter, ValidationPart
from tuitrain.engine.layerhealth import LayerHealth
from tuitrain.engine.loop_control import RollBack, StopRun
from tuitrain.engine.lr_keeper import LRKeeper
from tuitrain.engine.meter import Meter, Reading
from tuitrain.engine.numeric_guard import NumericGuard
from tuitrain.engine.reporter import Reporter
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.samples import SampleKeeper, Unnormalize
from tuitrain.engine.setup import build_setup, started_event
from tuitrain.engine.state import Progress
from tuitrain.engine.step import optimizer_step
from tuitrain.engine.tracking import EpochTracker

if TYPE_CHECKING:
    from tuitrain.engine.trainer import Trainer


class TrainingRun:
    """One run of the loop; implements `Steerable` for the command handler."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer, self.cfg = trainer, trainer.preset.train
        self._resume, self._world = trainer._resume, trainer._world
        runtime = resolve_runtime(self.cfg)
        self.emit(ev.Log(message=f"training on {runtime.device_name} ({runtime.precision})"))
        stats = saved_stats(self._resume.state) if self._resume is not None else None
        world = self._world
        self.setup = setup = build_setup(
            trainer.preset,
            runtime,
            log=self._log,
            stats=stats,
            shard=world.shard,
            skipped=trainer.skipped_files,
            supplied=trainer.supplied,
        )
        world.prepare_model(setup, trainer.preset)
        data = setup.data
        self.progress = Progress()
        self.clock = Clock()
        self.meter = Meter(runtime.device)
        self.rate = LRKeeper(setup.lr, setup.optimizer)
        self.tracker = EpochTracker(trainer.preset.best_monitor(), self.cfg, data.num_classes)
        self.guard = NumericGuard(self.cfg.nan)
        batches, has_val = data.train.batches_per_epoch, data.val is not None
        self.reporter = Reporter(self.cfg, batches=batches, has_val=has_val, clock=self.clock)
        identity = {"preset": trainer.resolved, "preset_name": trainer.name}
        checkpoints = trainer._checkpoints
        self.checkpointer = Checkpointer(checkpoints, setup, self.meter, self.tracker, identity)
        can_save = self.checkpointer.can_save
        self.commands = CommandHandler(
            trainer._queue, self, setup.lr, self._world, can_save, has_val
        )
        samples = trainer._samples if self._world.is_primary else None
        unnormalize = Unnormalize(data.mean, data.std, runtime.device)
        self.pictures = SampleKeeper(samples, unnormalize, data.class_names)
        diagnose = self.cfg.diagnose
        self.layers = LayerHealth(setup.model, diagnose.layers_every)
        self.validation_parts: list[ValidationPart] = [self.pictures]
        if diagnose.classes and has_val:
            self.validation_parts.append(ConfusionCounter(data.class_names, runtime.device))

    # The loop ---------------------------------------------------------------------------

    def train(self) -> ev.Finished:
        self._begin()
        self.clock.restart(self.progress.elapsed)
        try:
            while self.progress.epoch < self.cfg.epochs:
                try:
                    if self._epoch():
                        return self._finish("early_stopped", "no improvement")
                except RollBack as rollback:
                    self._roll_back(rollback.warning)
            self.commands.at_step_boundary()  # commands sent during the last step get answers
        except StopRun as stop:
            saved = self.save("stop" if stop.command.status == "stopped" else "signal")
            status, why = stop.command.status, stop.command.reason
            return self._finish(status, why, stop.command, unsaved=_not_saved(saved))
        saved = self.save("final")
        return self._finish("completed", "", unsaved=_not_saved(saved))

    def _begin(self) -> None:
        if self._resume is not None:
            self._resume, self.progress, passed = self.checkpointer.restore_fitting(self._resume)
            self.clock.restart(self.progress.elapsed)
            for warning in passed:  # first: why the run goes back further than expected
                self.emit(warning)
            saved_by = (int(self._resume.state.get("world_size", 1)), self._world.world_size)
            for event in resumed_events(self.setup, self._resume.path, self.progress, saved_by):
                self.emit(event)
        self.rate.start(self.progress.step)
        self._take_snapshot()
        t, resumed = self.trainer, self._resume is not None
        identity = (t.preset, t.name, t.resolved, t.run_dir)
        lr = self.rate.current
        ranks = self._world.world_size
        started = started_event(
            self.setup, *identity, lr, self.progress, resumed=resumed, world_size=ranks
        )
        self.emit(started)

    def _epoch(self) -> bool:
        """Train one epoch from the current position; True when early stopping ends the run."""
        data, progress = self.setup.data, self.progress
        batches, val_every = data.train.batches_per_epoch, self.cfg.val_every_steps
        self.reporter.start_epoch(progress.step, self.meter.read())
        if progress.batch == 0:  # a resumed epoch keeps the start its checkpoint carried
            progress.epoch_started, progress.epoch_val_s = self.clock.elapsed(), 0.0
        for x, y in data.train.epoch(progress.epoch, progress.batch):
            self.commands.at_step_boundary()
            if (lr_changed := self.rate.at_step(progress.step)) is not None:
                self.emit(lr_changed)
            self._step(x, y)
            progress.step += 1
            progress.batch += 1
            if self._world.report_due(progress.step, self.reporter.due(progress.step)):
                self._report()
            if val_every and progress.step % val_every == 0 and progress.batch < batches:
                self.validate("schedule")  # (the epoch's last step: its end validates)
        return self._end_epoch()

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        step = self.progress.step
        probe = self.layers.sampling(step)  # None on all but sampled steps
        loss, logits = optimizer_step(self.setup, self.cfg, x, y, step=step, probe=probe)
        self.meter.add(loss, logits, y)  # on the device: no sync
        self.pictures.saw_batch(x, y)  # a reference: no copy, no sync

    def _report(self) -> None:
        reading = self._world.reduce_reading(self.meter.read())  # the one sync of a report
        # A layer sample taken since is on the host by now. First: when the loss has just
        # gone NaN, the sample before it is the evidence of why.
        for event in self.layers.read():
            self.emit(event)
        if reading.nonfinite:
            self._watch(reading.loss)  # diverged: say so, then the NaN policy acts
            self._nonfinite(f"training loss is {reading.loss} at step {self.progress.step}")
        lr, memory_mb = self.rate.current, self.setup.runtime.memory_mb()
        per_rank = self._world.each_rank(memory_mb)
        report = self.reporter.progress(reading, self.progress, lr, memory_mb, per_rank)
        if report is not None:
            self.emit(report)
            self._watch(report.loss)

    def _watch(self, loss: float) -> None:
        """The divergence watch reads each report's loss: a warning at once when it diverges."""
        step = self.progress.step
        if (diverging := self.tracker.watch_report(loss, step)) is not None:
            self.emit(ev.Warned(category="diverging", message=diverging, step=step))

    def validate(self, source: str, cmd_id: str | None = None) -> Reading | None:
        setup, progress = self.setup, self.progress
        if setup.data.val is None:
            return None
        started = self.clock.elapsed()  # a pause during validation is not validation time
        meter, parts = Meter(setup.runtime.device), self.validation_parts
        for part in parts:
            part.begin()
        setup.model.eval()
        with torch.inference_mode(), setup.runtime.autocast():
            for x, y in setup.data.val:
                logits = setup.forward(x)
                meter.add(F.cross_entropy(logits.float(), y), logits, y)
                for part in parts:
                    part.add(x, logits, y)
                self.commands.between_validation_batches()
        setup.model.train()
        reading = self._world.reduce_reading(meter.read())
        seconds = self.clock.elapsed() - started
        self.clock.val_seconds = seconds
        self.progress.epoch_val_s += seconds
        validated = self.reporter.validated(progress, reading, seconds, source, cmd_id)
        self.emit(validated)
        for part in parts:
            for event in part.end(validated):
                self.emit(event)
        return reading

    def _end_epoch(self) -> bool:
        cfg, progress = self.cfg, self.progress
        train = self._world.reduce_reading(self.meter.read())
        if train.nonfinite:
            self._nonfinite(f"training loss is {train.loss} in epoch {progress.epoch + 1}")
        self._report()
        val = self.validate("schedule") if self.reporter.val_due(progress.epoch) else None
        if val is not None and val.nonfinite:
            self._nonfinite(f"validation loss is {val.loss} in epoch {progress.epoch + 1}")
        metrics = {"train_loss": train.loss, "train_acc": train.acc}
        if val is not None:
            metrics |= {"val_loss": val.loss, "val_acc": val.acc}
        self.setup.lr.schedule.observe(metrics, progress.step)
        verdict = self.tracker.judge(metrics)
        if (diagnosis := verdict.diagnosis) is not None:
            self.emit(ev.Warned(category=verdict.fit, message=diagnosis, step=progress.step))
        progress.best = self.tracker.best.value
        epoch_s = self.clock.elapsed() - progress.epoch_started
        val_s = progress.epoch_val_s
        progress.epoch, progress.batch = progress.epoch + 1, 0
        progress.elapsed = self.clock.elapsed()
        self.meter.reset()
        summary = (metrics, verdict, self.tracker.best, self.rate.current, train)
        self.emit(self.reporter.epoch_ended(progress, *summary, epoch_s, val_s))
        if progress.epoch % cfg.checkpoint.every_epochs == 0 and progress.epoch < cfg.epochs:
            self.save("epoch")
        if verdict.is_best and cfg.checkpoint.keep_best:
            self.save("best", best=True)
        self._take_snapshot()
        return self.tracker.should_stop(metrics)

    def _finish(
        self, status: str, reason: str, command: cmd.Command | None = None, unsaved: str = ""
    ) -> ev.Finished:
        best = self.tracker.best
        return self.reporter.finished(self.progress, best, status, reason, command, unsaved)

    # State: snapshots, roll-backs, checkpoints ------------------------------------------

    def _nonfinite(self, what: str) -> None:
        self.guard.nonfinite(what, step=self.progress.step, rollbacks=self.progress.rollbacks)

    def _roll_back(self, warning: ev.Warned) -> None:
        self.emit(warning)
        rollbacks = self.progress.rollbacks + 1
        self.progress = self.checkpointer.roll_back()
        self.clock.restart(self.progress.elapsed)
        self.progress.rollbacks = rollbacks
        self.emit(self.rate.roll_back(self.progress.step, self.guard.lr_factor, rollbacks))
        self._take_snapshot()

    def _take_snapshot(self) -> None:
        self.progress.elapsed = self.clock.elapsed()
        self.checkpointer.take_snapshot(self.progress)

    def save(
        self, reason: str, *, best: bool = False, command: cmd.Command | None = None
    ) -> ev.CheckpointSaved | ev.Warned | None:
        """Save a checkpoint: the event that says how it went (None without a run directory)."""
        if not self.checkpointer.can_save:
            return None
        self.progress.elapsed = self.clock.elapsed()
        event = self.checkpointer.save(self.progress, reason, best=best, command=command)
        self.emit(event)
        if isinstance(event, ev.Warned) and command is not None:
            self.emit(rejection(command, event.message, self.progress.step))
        return event

    # Steerable: what the command handler may do ----------------------------------------

    @property
    def step(self) -> int:
        return self.progress.step

    def emit(self, event: ev.Event) -> None:
        self.trainer.bus.emit(event)

    def hold(self) -> None:
        self.clock.pause()

    def release(self) -> float:
        paused_s = self.clock.resume()
        self.reporter.report_soon()
        return paused_s

    def apply_lr(self, source: str, reason: str, cmd_id: str | None) -> None:
        self.emit(self.rate.changed(self.progress.step, source, reason, cmd_id))

    def _log(self, message: str) -> None:
        self.emit(ev.Log(message=message))


def _not_saved(saved: ev.CheckpointSaved | ev.Warned | None) -> str:
    """What a run's last save left unsaved, for its Finished event ('' when it was saved)."""
    return saved.message if isinstance(saved, ev.Warned) else ""
