"""What the parts of the trainer share: its state, and the helpers every part uses."""

from __future__ import annotations

import queue
from typing import Any, Protocol

from tuitrain.config.preset import Preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.build import Parts
from tuitrain.engine.bus import EventBus
from tuitrain.engine.clock import Clock
from tuitrain.engine.diagnosis import CurveDoctor
from tuitrain.engine.meter import Meter
from tuitrain.engine.state import Progress
from tuitrain.engine.tracking import Best


class CheckpointSink(Protocol):
    """Where checkpoints go (a run directory). Returns the path written."""

    def save(self, state: dict[str, Any], reason: str, *, best: bool = False) -> str: ...


class TrainerCore:
    """State shared by the trainer's parts (steering, reporting, safety, the loop)."""

    preset: Preset
    name: str
    resolved: dict[str, Any]
    bus: EventBus
    _parts: Parts | None
    _progress: Progress
    _queue: queue.SimpleQueue[cmd.Command]
    _paused: bool
    _lr: float
    _clock: Clock
    _meter: Meter
    _doctor: CurveDoctor
    _best: Best
    _stopper: Best | None
    _checkpoints: CheckpointSink | None
    _snapshot: dict[str, Any] | None

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
