"""A run without torch: a fake trainer, a small run log, and the control server wired to them.

The fake trainer behaves like the engine where the control channel can tell: it takes
commands from a queue at step boundaries (blocking on the queue while paused), answers each
with the engine's event carrying the command's id, or a `rejected` one, and emits step reports
and numbered Log lines ("seq N") between boundaries. FakeRun wires it the way a real run
process wires the real trainer: the run log first, then the server's on_event, the bus lock
shared, the log's offset as the history offset.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain.control.connection import Limits
from tuitrain.control.server import ControlServer
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.bus import EventBus
from tuitrain.runs.status import this_process, write_status


class FakeTrainer:
    def __init__(self, *, run_dir: Path | None = None, step_s: float = 0.002) -> None:
        self.bus = EventBus()
        self.run_dir = run_dir
        self.step_s = step_s
        self.step = 0
        self.seq = 0
        self.lr = 0.1
        self.scale = 1.0
        self.paused = False
        self.hold = threading.Event()
        """While set, commands wait in the queue: the engine busy in a long validation."""
        self.submitted: list[cmd.Command] = []
        """Commands as they reach the queue (applied or not yet)."""
        self.applied: list[cmd.Command] = []
        self.result: ev.Finished | None = None
        self._queue: queue.SimpleQueue[cmd.Command] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="fake-trainer", daemon=True)

    def subscribe(self, consumer: Any) -> None:
        self.bus.subscribe(consumer)

    def submit(self, command: cmd.Command) -> None:
        self.submitted.append(command)
        self._queue.put(command)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        self.bus.emit(ev.Log(message="started"))
        try:
            while True:
                self._boundary()
                self._take_step()
        except _Stopped as stop:
            self.result = stop.finished
            self.bus.emit(stop.finished)

    def _take_step(self) -> None:
        self.step += 1
        self.bus.emit(ev.Log(message=f"seq {self.seq}"))
        self.seq += 1
        self.bus.emit(
            ev.StepProgress(
                step=self.step,
                epoch=1,
                batch=self.step,
                batches=1_000_000,
                loss=1.0 / self.step,
                acc=0.5,
                lr=self.lr,
                images_per_s=1000.0,
                elapsed_s=self.step * self.step_s,
                eta_epoch_s=None,
                eta_run_s=None,
            )
        )
        time.sleep(self.step_s)

    def _boundary(self) -> None:
        while self.hold.is_set():
            time.sleep(0.01)
        while True:
            try:
                command = self._queue.get() if self.paused else self._queue.get_nowait()
            except queue.Empty:
                return
            self.applied.append(command)
            self._apply(command)

    def _apply(self, command: cmd.Command) -> None:
        handler = {
            cmd.Pause: self._pause,
            cmd.Resume: self._resume,
            cmd.ScaleLR: self._scale,
            cmd.SetLR: self._set_lr,
            cmd.Checkpoint: self._checkpoint,
            cmd.Validate: self._validate,
            cmd.Stop: self._stop,
        }.get(type(command))
        if handler is None:
            self._reject(command, "this run does not accept that command")
        else:
            handler(command)

    def _pause(self, command: cmd.Command) -> None:
        if self.paused:
            return self._reject(command, "already paused")
        self.paused = True
        self._answer(ev.Paused, command)

    def _resume(self, command: cmd.Command) -> None:
        if not self.paused:
            return self._reject(command, "not paused")
        self.paused = False
        self._answer(ev.Resumed, command, paused_s=0.5)

    def _scale(self, command: cmd.ScaleLR) -> None:
        self._change_lr(command, self.lr * command.factor, f"x{command.factor:g}")

    def _set_lr(self, command: cmd.SetLR) -> None:
        self._change_lr(command, command.value, f"set to {command.value:g}")

    def _change_lr(self, command: cmd.Command, new: float, reason: str) -> None:
        if not 1e-12 <= new <= 100.0:
            return self._reject(command, f"the learning rate would become {new:.3g}")
        previous, self.lr = self.lr, new
        self.scale *= new / previous
        self._answer(
            ev.LRChanged, command, lr=new, previous=previous, scale=self.scale, reason=reason
        )

    def _checkpoint(self, command: cmd.Command) -> None:
        if self.run_dir is None:
            return self._reject(command, "this run has no run directory to save to")
        path = self.run_dir / "checkpoints" / "last.pt"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"fake checkpoint")
        self._answer(
            ev.CheckpointSaved, command, epoch=1, path=str(path), reason="user", seconds=0.0
        )

    def _validate(self, command: cmd.Command) -> None:
        self._answer(ev.Validated, command, epoch=0.5, val_loss=0.25, val_acc=0.875, seconds=0.0)

    def _stop(self, command: cmd.Stop) -> None:
        finished = ev.Finished(
            status=command.status,
            step=self.step,
            epoch=1,
            elapsed_s=self.step * self.step_s,
            best_metric="val_acc",
            best_value=None,
            reason=command.reason,
            source=command.source,
            cmd_id=command.id,
        )
        raise _Stopped(finished)

    def _answer(self, kind: type[ev.Event], request: cmd.Command, **fields: Any) -> None:
        self.bus.emit(kind(step=self.step, source=request.source, cmd_id=request.id, **fields))

    def _reject(self, command: cmd.Command, reason: str) -> None:
        self._answer(ev.CommandRejected, command, command=command.name, reason=reason)


class _Stopped(Exception):
    def __init__(self, finished: ev.Finished) -> None:
        self.finished = finished


class TinyRunLog:
    """events.jsonl appended and flushed per event, status.json kept current."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._lock = threading.Lock()
        self._file = open(run_dir / "events.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._offset = self._file.tell()
        self.status: dict[str, Any] = {
            "status": "running",
            **this_process(),
            "started": time.time(),
            "control": None,
        }
        write_status(run_dir, self.status)

    @property
    def offset(self) -> int:
        with self._lock:
            return self._offset

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            self._file.write(event.to_json() + "\n")
            self._file.flush()
            self._offset = self._file.tell()
        status = {"paused": "paused", "resumed": "running"}.get(event.type)
        if isinstance(event, ev.Finished):
            status = event.status
        if status is not None:
            self.status["status"] = status
            write_status(self.run_dir, self.status)

    def set_control(self, path: str | None) -> None:
        self.status["control"] = path
        write_status(self.run_dir, self.status)

    def close(self) -> None:
        with self._lock:
            self._file.close()


class FakeRun:
    """A run process in miniature: trainer, run log and control server, wired as a real one."""

    def __init__(
        self,
        run_dir: Path,
        *,
        step_s: float = 0.002,
        limits: Limits | None = None,
        socket_path: Path | None = None,
    ) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir
        self.trainer = FakeTrainer(run_dir=run_dir, step_s=step_s)
        self.log = TinyRunLog(run_dir)
        self.trainer.subscribe(self.log)
        self.server = ControlServer(
            socket_path,
            self.trainer.submit,
            run_dir=run_dir,
            lock=self.trainer.bus.lock,
            history_offset=lambda: self.log.offset,
            limits=limits,
        )
        self.socket: Path | None = None

    def start(self) -> FakeRun:
        self.socket = self.server.start()
        self.trainer.subscribe(self.server.on_event)
        self.log.set_control(str(self.socket))
        self.trainer.start()
        return self

    def stop(self) -> None:
        if self.trainer.alive:
            self.trainer.hold.clear()
            self.trainer.submit(cmd.Stop(source="api"))
            self.trainer.join(5.0)
        self.server.close()
        self.log.close()

    def __enter__(self) -> FakeRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_steps(self, count: int, timeout: float = 5.0) -> None:
        """Wait until the trainer has taken `count` more steps: proof it is still training."""
        target = self.trainer.step + count
        deadline = time.monotonic() + timeout
        while self.trainer.step < target:
            assert self.trainer.alive, "the fake trainer stopped"
            assert time.monotonic() < deadline, "the fake trainer stalled"
            time.sleep(0.005)


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def read_status(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "status.json").read_text())
