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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from tuitrain.config.preset import Preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.build import Parts, build_parts
from tuitrain.engine.bus import Consumer, EventBus
from tuitrain.engine.clock import Clock
from tuitrain.engine.diagnosis import CurveDoctor, EpochMetrics
from tuitrain.engine.meter import Meter, Reading
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.state import Progress, capture_state, detached_copy, restore_state
from tuitrain.engine.tracking import Best, versions
from tuitrain.errors import UserError


class CheckpointSink(Protocol):
    """Where checkpoints go (a run directory). Returns the path written."""

    def save(self, state: dict[str, Any], reason: str, *, best: bool = False) -> str: ...


@dataclass(frozen=True)
class ResumePoint:
    path: str
    state: dict[str, Any]


class _StopRun(Exception):
    def __init__(self, command: cmd.Stop) -> None:
        self.command = command


class _RollBack(Exception):
    pass


class Trainer:
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
        except _Failure as failure:
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
                except _RollBack:
                    self._roll_back()
            self._boundary()  # commands that arrived during the last step still get answers
        except _StopRun as stop:
            self._save("stop" if stop.command.status == "stopped" else "signal")
            return self._finish(stop.command.status, stop.command.reason, stop.command)
        self._save("final")
        return self._finish("completed", "")

    def _run_epoch(self) -> bool:
        """Train one epoch from the current position; True when early stopping ends the run."""
        parts, progress = self._require_parts(), self._progress
        batches = parts.data.train.batches_per_epoch
        val_every = self.preset.train.val_every_steps
        self._window = _Window(self._clock.elapsed(), progress.step, self._meter.read())
        self._next_report = time.monotonic() + self.preset.train.report.seconds
        self._epoch_started = self._clock.elapsed()
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

    # Commands ---------------------------------------------------------------------------

    def _boundary(self) -> None:
        """Apply queued commands; blocks (without using CPU) while paused."""
        while True:
            try:
                command = self._queue.get() if self._paused else self._queue.get_nowait()
            except queue.Empty:
                return
            self._apply(command)

    def _apply(self, command: cmd.Command) -> None:
        handler = self._handlers().get(type(command))
        if handler is None:
            self._reject(command, "this run does not accept that command")
            return
        handler(command)

    def _handlers(self) -> dict[type[cmd.Command], Callable[[Any], None]]:
        return {
            cmd.Pause: self._on_pause,
            cmd.Resume: self._on_resume,
            cmd.ScaleLR: self._on_scale_lr,
            cmd.SetLR: self._on_set_lr,
            cmd.Checkpoint: self._on_checkpoint,
            cmd.SaveOnSignal: self._on_checkpoint,
            cmd.Validate: self._on_validate,
            cmd.Stop: self._on_stop,
        }

    def _on_pause(self, command: cmd.Pause) -> None:
        if self._paused:
            self._reject(command, "already paused")
            return
        self._paused = True
        self._clock.pause()
        self._emit(ev.Paused(step=self._progress.step, source=command.source, cmd_id=command.id))

    def _on_resume(self, command: cmd.Resume) -> None:
        if not self._paused:
            self._reject(command, "not paused")
            return
        self._paused = False
        paused_s = self._clock.resume()
        self._next_report = time.monotonic()
        self._emit(
            ev.Resumed(
                step=self._progress.step,
                source=command.source,
                paused_s=paused_s,
                cmd_id=command.id,
            )
        )

    def _on_scale_lr(self, command: cmd.ScaleLR) -> None:
        lr = self._require_parts().lr
        new = lr.at(self._progress.step) * command.factor
        if not 1e-12 <= new <= 100.0:
            self._reject(command, f"the learning rate would become {new:.3g}")
            return
        lr.scale_by(command.factor)
        self._user_lr_changed(command, f"x{command.factor:g}")

    def _on_set_lr(self, command: cmd.SetLR) -> None:
        try:
            self._require_parts().lr.set(command.value, self._progress.step)
        except ValueError as exc:
            self._reject(command, str(exc))
            return
        self._user_lr_changed(command, f"set to {command.value:g}")

    def _user_lr_changed(self, command: cmd.Command, reason: str) -> None:
        parts = self._require_parts()
        new = parts.lr.apply(parts.optimizer, self._progress.step)
        self._emit(self._lr_event(new, self._lr, command.source, reason, command.id))
        self._lr = new

    def _on_checkpoint(self, command: cmd.Command) -> None:
        if self._checkpoints is None:
            self._reject(command, "this run has no run directory to save to")
            return
        reason = "signal" if isinstance(command, cmd.SaveOnSignal) else "user"
        self._save(reason, command=command)

    def _on_validate(self, command: cmd.Validate) -> None:
        if self._require_parts().data.val is None:
            self._reject(command, "this run has no validation data")
            return
        self._validate(command.source, command.id)

    def _on_stop(self, command: cmd.Stop) -> None:
        raise _StopRun(command)

    def _reject(self, command: cmd.Command, reason: str) -> None:
        self._emit(
            ev.CommandRejected(
                command=command.name,
                reason=reason,
                source=command.source,
                step=self._progress.step,
                cmd_id=command.id,
            )
        )

    # Reports and validation -------------------------------------------------------------

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
        self._window = _Window(now, progress.step, reading)
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
                images_per_s=images / seconds if seconds > 0 else 0.0,
                elapsed_s=now,
                eta_epoch_s=self._clock.eta(batches - progress.batch, self._vals_left(True)),
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
        return self._clock.eta(steps_left, self._vals_left(False))

    def _validate(self, source: str, cmd_id: str | None = None) -> Reading | None:
        parts, progress = self._require_parts(), self._progress
        if parts.data.val is None:
            return None
        started = time.monotonic()
        meter = Meter(parts.runtime.device)
        parts.model.eval()
        with torch.inference_mode(), parts.runtime.autocast():
            for x, y in parts.data.val:
                logits = parts.forward(x)
                meter.add(F.cross_entropy(logits.float(), y), logits, y)
        parts.model.train()
        reading = meter.read()
        seconds = time.monotonic() - started
        self._clock.val_seconds = seconds
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
            images_per_s=images / epoch_s if epoch_s > 0 else 0.0,
            elapsed_s=progress.elapsed,
            eta_run_s=self._eta_run(),
            best_metric=self._best.metric,
            best_value=self._best.value,
            is_best=is_best,
            fit=self._doctor.verdict,
            train_val_gap=None if val_acc is None else metrics["train_acc"] - val_acc,
        )

    # NaN and roll-back ------------------------------------------------------------------

    def _nonfinite(self, what: str) -> None:
        nan = self.preset.train.nan
        if nan.policy == "stop":
            raise _Failure("nan", f"{what}; stopping (train.nan.policy is stop)")
        if self._progress.rollbacks >= nan.max_rollbacks:
            raise _Failure(
                "nan",
                f"{what}, after {nan.max_rollbacks} roll-backs; lower optim.lr or set "
                "train.grad_clip",
            )
        self._emit(ev.Warned(category="nan", message=what, step=self._progress.step))
        raise _RollBack()

    def _take_snapshot(self) -> dict[str, Any]:
        return detached_copy(self._capture())

    def _roll_back(self) -> None:
        assert self._snapshot is not None
        rollbacks = self._progress.rollbacks + 1
        self._restore(self._snapshot)
        self._progress.rollbacks = rollbacks
        parts = self._require_parts()
        previous = parts.lr.at(self._progress.step)
        parts.lr.scale_by(self.preset.train.nan.lr_factor)
        new = parts.lr.apply(parts.optimizer, self._progress.step)
        reason = f"roll-back {rollbacks} to step {self._progress.step}"
        self._emit(self._lr_event(new, previous, "nan", reason))
        self._lr = new
        self._snapshot = self._take_snapshot()

    # State ------------------------------------------------------------------------------

    def _capture(self) -> dict[str, Any]:
        self._progress.elapsed = self._clock.elapsed() if hasattr(self, "_clock") else 0.0
        extra = {
            "meter": self._meter.state(),
            "doctor": self._doctor.state_dict(),
            "best": self._best.state_dict(),
            "stopper": self._stopper.state_dict() if self._stopper else None,
            "preset": self.resolved,
            "preset_name": self.name,
        }
        return capture_state(self._require_parts(), self._progress, extra)

    def _restore(self, state: dict[str, Any]) -> None:
        self._progress = restore_state(self._require_parts(), state)
        self._meter.load(state["meter"])
        self._doctor.load_state_dict(state["doctor"])
        self._best.load_state_dict(state["best"])
        if self._stopper is not None and state.get("stopper"):
            self._stopper.load_state_dict(state["stopper"])
        self._clock = Clock(self._progress.elapsed)

    def _save(self, reason: str, *, best: bool = False, command: cmd.Command | None = None) -> None:
        if self._checkpoints is None or self._parts is None:
            return
        started = time.monotonic()
        try:
            path = self._checkpoints.save(self._capture(), reason, best=best)
        except OSError as exc:
            message = f"could not save the {reason} checkpoint ({exc}); the previous one is kept"
            self._emit(ev.Warned(category="checkpoint", message=message, step=self._progress.step))
            if command is not None:
                self._reject(command, message)
            return
        self._emit(
            ev.CheckpointSaved(
                step=self._progress.step,
                epoch=self._progress.epoch,
                path=path,
                reason=reason,
                seconds=time.monotonic() - started,
                source=command.source if command else "engine",
                cmd_id=command.id if command else None,
            )
        )

    def _emit_resumed(self) -> None:
        assert self._resume is not None
        exact = self._require_parts().data.exact_resume
        on_gpu = self._require_parts().runtime.device.type == "cuda"
        note = ""
        if not exact:
            note = "the streaming data path cannot replay augmentation exactly"
        elif on_gpu:
            note = "GPU kernels are not bit-reproducible; the run continues closely, not exactly"
        self._emit(
            ev.RunResumed(
                checkpoint=self._resume.path,
                step=self._progress.step,
                epoch=self._progress.epoch,
                exact=exact and not on_gpu,
                note=note,
            )
        )
        if note:
            self._emit(ev.Warned(category="resume", message=note, step=self._progress.step))

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

    # Helpers ----------------------------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        self.bus.emit(event)

    def _log(self, message: str) -> None:
        self._emit(ev.Log(message=message))

    def _lr_event(
        self, lr: float, previous: float, source: str, reason: str, cmd_id: str | None = None
    ) -> ev.LRChanged:
        return ev.LRChanged(
            step=self._progress.step,
            lr=lr,
            previous=previous,
            scale=self._require_parts().lr.scale,
            source=source,
            reason=reason,
            cmd_id=cmd_id,
        )

    def _require_parts(self) -> Parts:
        if self._parts is None:
            raise RuntimeError("the trainer is not set up")
        return self._parts

    def _step_or_none(self) -> int | None:
        return self._progress.step if self._parts is not None else None


class _Failure(Exception):
    """Ends the run as failed with a named error, without a traceback in the event."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


@dataclass(frozen=True)
class _Window:
    """Where the previous progress report left off."""

    elapsed: float
    step: int
    reading: Reading


def _ratio(total: float, count: int) -> float:
    return total / count if count else float("nan")
