"""A scripted RunLink and deterministic events for the monitor's tests."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tuitrain.config.preset import Preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev

T0 = 1_800_000_000.0
STEPS_PER_EPOCH = 50


def preset_dict() -> dict[str, Any]:
    preset = Preset.model_validate(
        {
            "optim": {"kind": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4},
            "augment": {"crop": {"padding": 4}, "flip": {}},
        }
    )
    return preset.model_dump(mode="json")


def started(epochs: int = 10, lr: float = 0.1, run_dir: str | None = "runs/demo") -> ev.RunStarted:
    return ev.RunStarted(
        preset_name="demo",
        preset=preset_dict(),
        run_dir=run_dir,
        device="cuda:0",
        device_name="NVIDIA H100",
        precision="bf16",
        epochs=epochs,
        steps_per_epoch=STEPS_PER_EPOCH,
        train_size=8000,
        val_size=2000,
        num_classes=10,
        image_shape=(3, 32, 32),
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
        parameters=1_234_567,
        lr=lr,
        loader="memory",
        versions={"torch": "2.5"},
        time=T0,
    )


def step(n: int, epochs: int = 10, lr: float = 0.1, loss: float | None = None) -> ev.StepProgress:
    epoch, batch = divmod(n - 1, STEPS_PER_EPOCH)
    return ev.StepProgress(
        step=n,
        epoch=epoch + 1,
        batch=batch + 1,
        batches=STEPS_PER_EPOCH,
        loss=2.3 / (1 + n / 40) if loss is None else loss,
        acc=min(0.99, 0.1 + n / 600),
        lr=lr,
        images_per_s=1234.0,
        elapsed_s=n * 0.1,
        eta_epoch_s=(STEPS_PER_EPOCH - batch - 1) * 0.1,
        eta_run_s=(epochs * STEPS_PER_EPOCH - n) * 0.1,
        memory_mb=4096.0,
        time=T0 + n * 0.1,
    )


def epoch_end(e: int, epochs: int = 10, fit: str = "ok", lr: float = 0.1) -> ev.EpochEnded:
    train_acc = min(0.99, 0.5 + 0.05 * e)
    val_acc = train_acc - 0.02 * e
    return ev.EpochEnded(
        epoch=e,
        epochs=epochs,
        step=e * STEPS_PER_EPOCH,
        train_loss=1.5 / e,
        train_acc=train_acc,
        val_loss=1.6 / e + 0.05 * e,
        val_acc=val_acc,
        lr=lr,
        epoch_s=5.0,
        images_per_s=1234.0,
        elapsed_s=e * 5.0,
        eta_run_s=(epochs - e) * 5.0,
        best_metric="val_acc",
        best_value=val_acc,
        is_best=True,
        fit=fit,
        train_val_gap=train_acc - val_acc,
        time=T0 + e * 5.0,
    )


def validated(e: int) -> ev.Validated:
    end = epoch_end(e)
    return ev.Validated(
        step=end.step,
        epoch=float(e),
        val_loss=end.val_loss or 0.0,
        val_acc=end.val_acc or 0.0,
        seconds=0.5,
        time=end.time,
    )


def history_events(epochs_done: int = 3, epochs: int = 10, extra_steps: int = 20) -> list[ev.Event]:
    """A run partway through: epochs_done epochs, then some steps into the next."""
    events: list[ev.Event] = [started(epochs)]
    for e in range(1, epochs_done + 1):
        events += [
            step(n, epochs)
            for n in range((e - 1) * STEPS_PER_EPOCH + 1, e * STEPS_PER_EPOCH + 1, 5)
        ]
        events += [validated(e), epoch_end(e, epochs)]
    first = epochs_done * STEPS_PER_EPOCH + 1
    events += [step(n, epochs) for n in range(first, first + extra_steps, 5)]
    return events


class ScriptedLink:
    """Emits scripted events from another thread and answers commands like an engine would."""

    def __init__(
        self,
        events: list[ev.Event] | None = None,
        *,
        can_control: bool = True,
        owns_run: bool = True,
        echo: bool = True,
        label: str = "scripted run",
    ) -> None:
        self.history = list(events or [])
        self.can_control = can_control
        self.owns_run = owns_run
        self.echo = echo
        self.label = label
        self.submitted: list[cmd.Command] = []
        self.closed = False
        self.paused = False
        self.lr = 0.1
        self.step = 0
        self._emit: Callable[[ev.Event], None] | None = None
        self.answer: Callable[[cmd.Command], ev.Event | None] = self._engine_answer

    def start(self, emit: Callable[[ev.Event], None]) -> None:
        self._emit = emit
        for event in self.history:
            if isinstance(event, ev.StepProgress):
                self.step, self.lr = event.step, event.lr
        self.send(*self.history)

    def send(self, *events: ev.Event) -> None:
        """Deliver events from a background thread, as a trainer does."""
        assert self._emit is not None, "start() first"
        emit = self._emit
        thread = threading.Thread(target=lambda: [emit(e) for e in events], daemon=True)
        thread.start()
        thread.join()

    def tick(self) -> None:
        """One training step, unless paused: what the engine does between commands."""
        if not self.paused:
            self.step += 1
            self.send(step(self.step, lr=self.lr))

    def submit(self, command: cmd.Command) -> None:
        self.submitted.append(command)
        if self.echo:
            answer = self.answer(command)
            if answer is not None:
                self.send(answer)

    def close(self) -> None:
        self.closed = True

    def _engine_answer(self, command: cmd.Command) -> ev.Event | None:
        if isinstance(command, cmd.Pause):
            self.paused = True
            return ev.Paused(step=self.step, source=command.source, cmd_id=command.id)
        if isinstance(command, cmd.Resume):
            self.paused = False
            return ev.Resumed(
                step=self.step, source=command.source, paused_s=1.0, cmd_id=command.id
            )
        if isinstance(command, cmd.ScaleLR):
            previous, self.lr = self.lr, self.lr * command.factor
            return ev.LRChanged(
                step=self.step,
                lr=self.lr,
                previous=previous,
                scale=self.lr / 0.1,
                source=command.source,
                reason=f"x{command.factor:g}",
                cmd_id=command.id,
            )
        if isinstance(command, cmd.Checkpoint):
            return ev.CheckpointSaved(
                step=self.step,
                epoch=1,
                path="runs/demo/checkpoints/last.pt",
                reason="user",
                seconds=0.2,
                source=command.source,
                cmd_id=command.id,
            )
        if isinstance(command, cmd.Validate):
            return ev.Validated(
                step=self.step,
                epoch=self.step / STEPS_PER_EPOCH,
                val_loss=0.5,
                val_acc=0.8,
                seconds=0.3,
                source=command.source,
                cmd_id=command.id,
            )
        if isinstance(command, cmd.Stop):
            return ev.Finished(
                status=command.status,
                step=self.step,
                epoch=1,
                elapsed_s=10.0,
                best_metric="val_acc",
                best_value=0.8,
                reason=command.reason,
                source=command.source,
                cmd_id=command.id,
            )
        return None


def diverging_events(epochs_done: int = 3, top: float = 1.4e19) -> list[ev.Event]:
    """A run whose loss climbs from 2.3 to `top` over `epochs_done` epochs (a learning rate
    far too high), then some steps into the next epoch."""
    events = history_events(epochs_done)
    last = max(e.step for e in events if isinstance(e, ev.StepProgress))
    growth = math.log(top / 2.3) / last

    def loss(at_step: int) -> float:
        return 2.3 * math.exp(growth * at_step)

    out: list[ev.Event] = []
    for event in events:
        if isinstance(event, ev.StepProgress):
            event = replace(event, loss=loss(event.step))
        elif isinstance(event, ev.EpochEnded):
            event = replace(event, train_loss=loss(event.step), val_loss=2 * loss(event.step))
        elif isinstance(event, ev.Validated):
            event = replace(event, val_loss=2 * loss(event.step))
        out.append(event)
    return out
