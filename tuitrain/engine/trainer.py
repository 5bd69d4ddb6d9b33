"""The training loop: runs in its own thread, obeys commands at step boundaries, emits events.

Data flows one way (events out, through the bus), intent the other (commands in, through a
queue). Commands are applied only between optimizer steps, and each one comes back as an event
that carries its id. Nothing else crosses the thread boundary.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from tuitrain.config.preset import Preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.build import Parts, build_parts
from tuitrain.engine.bus import Consumer, EventBus
from tuitrain.engine.clock import Clock
from tuitrain.engine.core import CheckpointSink
from tuitrain.engine.diagnosis import CurveDoctor, EpochMetrics
from tuitrain.engine.flow import RollBack, RunFailure, StopRun
from tuitrain.engine.meter import Meter, Reading
from tuitrain.engine.reporting import Reporting, Window, per_second
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.safety import Safety
from tuitrain.engine.state import Progress
from tuitrain.engine.steering import Steering
from tuitrain.engine.tracking import Best, versions
from tuitrain.errors import UserError


@dataclass(frozen=True)
class ResumePoint:
    path: str
    state: dict[str, Any]


class Trainer(Steering, Reporting, Safety):
    """Train a preset. `run()` trains on the calling thread; `start()` on a daemon thread."""

    def __init__(
        self,
        preset: Preset,
        *,
        name: str = "preset",
        resolved: dict[str, Any] | None = None,
        run_dir: str | None = None,
        checkpoints: CheckpointSink | None = None,
        resume: ResumePoint | None = None,
    ) -> None:
        self.preset = preset
        self.name = name
        self.resolved = resolved if resolved is not None else preset.model_dump(mode="json")
        self.run_dir = run_dir
        self.bus = EventBus()
        self.result: ev.Finished | ev.Failed | None = None
        self._checkpoints = checkpoints
        self._resume = resume
        self._queue: queue.SimpleQueue[cmd.Command] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._parts: Parts | None = None
        self._progress = Progress()
        self._paused = False
        self._lr = 0.0
        self._snapshot: dict[str, Any] | None = None
        self._epoch_val_s = 0.0  # validation time within the current epoch

    # Public API -------------------------------------------------------------------------

    def subscribe(self, consumer: Consumer) -> None:
        self.bus.subscribe(consumer)

    def submit(self, command: cmd.Command) -> None:
        """Queue a command from any thread (also from a signal handler: the put is reentrant)."""
        self._queue.put(command)

    def model_state(self) -> dict[str, torch.Tensor]:
        """The model's weights (shared with the live model: copy them to keep them)."""
        return self._require_parts().model.state_dict()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="tuitrain-trainer", daemon=True)
        self._thread.start()

    @property
    def resuming(self) -> bool:
        """Whether this trainer continues a run from a checkpoint."""
        return self._resume is not None

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the training thread; True when it has ended."""
        if self._thread is None:
            return self.result is not None
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def run(self) -> ev.Finished | ev.Failed:
        try:
            self._setup()
            self.result = self._train()
        except UserError as exc:
            self.result = ev.Failed(error="input", message=str(exc), step=self._step_or_none())
        except RunFailure as failure:
            self.result = ev.Failed(
                error=failure.error, message=failure.message, step=self._step_or_none()
            )
        except torch.OutOfMemoryError:
            self.result = self._out_of_memory()
        except Exception as exc:
            self.result = ev.Failed(
                error=type(exc).__name__,
                message=str(exc) or type(exc).__name__,
                step=self._step_or_none(),
                traceback=traceback.format_exc(),
            )
        self._emit(self.result)
        return self.result

    # Setup ------------------------------------------------------------------------------

    def _setup(self) -> None:
        preset = self.preset
        runtime = resolve_runtime(preset.train)
        self._emit(ev.Log(message=f"training on {runtime.device_name} ({runtime.precision})"))
        stats = None
        if self._resume is not None:
            saved = self._resume.state["stats"]
            stats = (tuple(saved["mean"]), tuple(saved["std"]))
        self._parts = parts = build_parts(preset, runtime, log=self._log, stats=stats)
        self._meter = Meter(runtime.device)
        self._clock = Clock()
        self._doctor = CurveDoctor(preset.train.diagnose, parts.data.num_classes)
        self._best = Best(preset.best_monitor())
        stopping = preset.train.early_stopping
        self._stopper = Best(stopping.monitor, stopping.min_delta) if stopping else None
        if self._resume is not None:
            self._restore(self._resume.state)
            self._emit_resumed()
        self._lr = parts.lr.at(self._progress.step)
        self._snapshot = self._take_snapshot()
        self._emit(self._started_event())

    def _started_event(self) -> ev.RunStarted:
        parts, preset = self._require_parts(), self.preset
        data = parts.data
        return ev.RunStarted(
            preset_name=self.name,
            preset=self.resolved,
            run_dir=self.run_dir,
            device=str(parts.runtime.device),
            device_name=parts.runtime.device_name,
            precision=parts.runtime.precision,
            epochs=preset.train.epochs,
            steps_per_epoch=data.train.batches_per_epoch,
            train_size=data.train_size,
            val_size=data.val_size,
            num_classes=data.num_classes,
            image_shape=data.image_shape,
            mean=tuple(data.mean),
            std=tuple(data.std),
            parameters=sum(p.numel() for p in parts.model.parameters()),
            lr=self._lr,
            loader=data.loader,
            versions=versions(),
            resumed=self._resume is not None,
            step=self._progress.step,
            epoch=self._progress.epoch,
        )

    # The loop ---------------------------------------------------------------------------

    def _train(self) -> ev.Finished:
        epochs = self.preset.train.epochs
        self._clock = Clock(self._progress.elapsed)
        try:
            while self._progress.epoch < epochs:
                try:
                    if self._run_epoch():
                        return self._finish("early_stopped", "no improvement")
                except RollBack:
                    self._roll_back()
            self._boundary()  # commands that arrived during the last step still get answers
        except StopRun as stop:
            self._save("stop" if stop.command.status == "stopped" else "signal")
            return self._finish(stop.command.status, stop.command.reason, stop.command)
        self._save("final")
        return self._finish("completed", "")

    def _run_epoch(self) -> bool:
        """Train one epoch from the current position; True when early stopping ends the run."""
        parts, progress = self._require_parts(), self._progress
        batches = parts.data.train.batches_per_epoch
        val_every = self.preset.train.val_every_steps
        self._window = Window(self._clock.elapsed(), progress.step, self._meter.read())
        self._next_report = time.monotonic() + self.preset.train.report.seconds
        self._epoch_started = self._clock.elapsed()
        self._epoch_val_s = 0.0
        for x, y in parts.data.train.epoch(progress.epoch, progress.batch):
            self._boundary()
            self._set_lr()
            self._train_step(x, y)
            progress.step += 1
            progress.batch += 1
            self._maybe_report()
            if val_every and progress.step % val_every == 0 and progress.batch < batches:
                self._validate("schedule")
        return self._end_epoch()

    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        parts = self._require_parts()
        optimizer, scaler = parts.optimizer, parts.scaler
        with parts.runtime.autocast():
            logits = parts.forward(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=self.preset.train.label_smoothing)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if self.preset.train.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(
                parts.model.parameters(), self.preset.train.grad_clip, foreach=True
            )
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        self._meter.add(loss, logits, y)

    def _set_lr(self) -> None:
        parts = self._require_parts()
        lr = parts.lr.apply(parts.optimizer, self._progress.step)
        if lr != self._lr and parts.lr.schedule.discrete:
            self._emit(self._lr_event(lr, self._lr, "schedule", parts.lr.schedule.kind))
        self._lr = lr

    # Reports and validation -------------------------------------------------------------

    def _validate(self, source: str, cmd_id: str | None = None) -> Reading | None:
        parts, progress = self._require_parts(), self._progress
        if parts.data.val is None:
            return None
        started = self._clock.elapsed()  # a pause during validation is not validation time
        meter = Meter(parts.runtime.device)
        parts.model.eval()
        with torch.inference_mode(), parts.runtime.autocast():
            for x, y in parts.data.val:
                logits = parts.forward(x)
                meter.add(F.cross_entropy(logits.float(), y), logits, y)
                self._between_validation_batches()
        parts.model.train()
        reading = meter.read()
        seconds = self._clock.elapsed() - started
        self._clock.val_seconds = seconds
        self._epoch_val_s += seconds
        batches = parts.data.train.batches_per_epoch
        self._emit(
            ev.Validated(
                step=progress.step,
                epoch=progress.epoch + progress.batch / batches,
                val_loss=reading.loss,
                val_acc=reading.acc,
                seconds=seconds,
                source=source,
                cmd_id=cmd_id,
            )
        )
        return reading

    # Epoch end --------------------------------------------------------------------------

    def _end_epoch(self) -> bool:
        train = self._meter.read()
        if train.nonfinite:
            self._nonfinite(f"training loss is {train.loss} in epoch {self._progress.epoch + 1}")
        self._report()
        cfg, progress = self.preset.train, self._progress
        val = self._validate("schedule") if self._val_due(progress.epoch) else None
        if val is not None and val.nonfinite:
            self._nonfinite(f"validation loss is {val.loss} in epoch {progress.epoch + 1}")
        metrics = {"train_loss": train.loss, "train_acc": train.acc}
        if val is not None:
            metrics |= {"val_loss": val.loss, "val_acc": val.acc}
        self._require_parts().lr.schedule.observe(metrics, progress.step)
        self._diagnose(metrics)
        is_best = self._best.update(metrics.get(self._best.metric))
        progress.best = self._best.value
        epoch_s = self._clock.elapsed() - self._epoch_started
        progress.epoch, progress.batch = progress.epoch + 1, 0
        progress.elapsed = self._clock.elapsed()
        self._meter.reset()
        self._emit(self._epoch_event(metrics, epoch_s, train.count, is_best))
        if progress.epoch % cfg.checkpoint.every_epochs == 0 and progress.epoch < cfg.epochs:
            self._save("epoch")
        if is_best and cfg.checkpoint.keep_best:
            self._save("best", best=True)
        self._snapshot = self._take_snapshot()
        return self._stop_early(metrics)

    def _stop_early(self, metrics: dict[str, float]) -> bool:
        stopping = self.preset.train.early_stopping
        if self._stopper is None or stopping is None:
            return False
        self._stopper.update(metrics.get(self._stopper.metric))
        return self._stopper.since_best >= stopping.patience

    def _diagnose(self, metrics: dict[str, float]) -> None:
        message = self._doctor.update(
            EpochMetrics(
                train_loss=metrics["train_loss"],
                train_acc=metrics["train_acc"],
                val_loss=metrics.get("val_loss"),
                val_acc=metrics.get("val_acc"),
            )
        )
        if message is not None:
            category = self._doctor.verdict
            self._emit(ev.Warned(category=category, message=message, step=self._progress.step))

    def _epoch_event(
        self, metrics: dict[str, float], epoch_s: float, images: int, is_best: bool
    ) -> ev.EpochEnded:
        progress = self._progress
        val_acc = metrics.get("val_acc")
        return ev.EpochEnded(
            epoch=progress.epoch,
            epochs=self.preset.train.epochs,
            step=progress.step,
            train_loss=metrics["train_loss"],
            train_acc=metrics["train_acc"],
            val_loss=metrics.get("val_loss"),
            val_acc=val_acc,
            lr=self._lr,
            epoch_s=epoch_s,
            images_per_s=per_second(images, epoch_s - self._epoch_val_s),
            elapsed_s=progress.elapsed,
            eta_run_s=self._eta_run(),
            best_metric=self._best.metric,
            best_value=self._best.value,
            is_best=is_best,
            fit=self._doctor.verdict,
            train_val_gap=None if val_acc is None else metrics["train_acc"] - val_acc,
        )

    # Ending -----------------------------------------------------------------------------

    def _finish(self, status: str, reason: str, command: cmd.Command | None = None) -> ev.Finished:
        return ev.Finished(
            status=status,
            step=self._progress.step,
            epoch=self._progress.epoch,
            elapsed_s=self._clock.elapsed(),
            best_metric=self._best.metric,
            best_value=self._best.value,
            reason=reason,
            source=command.source if command else "engine",
            cmd_id=command.id if command else None,
        )

    def _out_of_memory(self) -> ev.Failed:
        batch = self.preset.data.batch_size
        step = self._step_or_none()
        self._parts = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return ev.Failed(
            error="out_of_memory",
            message=f"the GPU ran out of memory at batch size {batch}; try "
            f"--set data.batch_size={max(1, batch // 2)}",
            step=step,
        )
