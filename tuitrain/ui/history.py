"""Everything the panels draw, built from the event stream; no Textual here.

`RunHistory.ingest` takes each event in order and keeps bounded series (see series.py), the
latest progress, the learning rate and who set it, markers for interventions, an event log and
the commands sent from this monitor that still wait for an answer. `version` changes whenever
anything visible changes, so the UI redraws only then.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tuitrain import words
from tuitrain.engine import events as ev
from tuitrain.engine.commands import Command
from tuitrain.ui import describe
from tuitrain.ui.series import BucketSeries

Status = Literal["starting", "running", "paused", "finished", "failed"]
Level = Literal["info", "ok", "request", "warning", "error"]

LAYER_SAMPLES = 64
"""Layer-health samples kept for the Layers screen's strips (older ones are dropped)."""


@dataclass(frozen=True)
class Marker:
    """An intervention drawn on the curves: an LR change, a pause, a checkpoint, a roll-back."""

    x: float
    """Position in epochs, like the curves."""
    step: int
    kind: str
    label: str


@dataclass(frozen=True)
class LogEntry:
    time: float
    level: Level
    text: str


@dataclass
class Request:
    """A command sent from this monitor, until the engine answers it."""

    command: Command
    label: str
    sent: float = field(default_factory=time.monotonic)


@dataclass
class LRTrack:
    """The learning rate as the monitor follows it: its value, who set it last, and its curve."""

    value: float | None = None
    source: str = ""
    """'schedule', 'nan', or a user command's source."""
    step: int | None = None
    reason: str = ""
    scale: float = 1.0
    series: BucketSeries = field(default_factory=BucketSeries)

    @property
    def by_user(self) -> bool:
        return self.source in words.USER_SOURCES


class RunHistory:
    def __init__(self, capacity: int = 512, max_log: int = 500, max_markers: int = 256) -> None:
        # 512 buckets still give two points per column of a 250-column terminal, and every
        # redraw walks them all.
        self.status: Status = "starting"
        self.started: ev.RunStarted | None = None
        self.resumed: ev.RunResumed | None = None
        self.progress: ev.StepProgress | None = None
        self.last_epoch: ev.EpochEnded | None = None
        self.outcome: ev.Finished | ev.Failed | None = None
        self.best: tuple[str, float | None, int | None] = ("", None, None)
        """(metric, value, epoch) of the best epoch so far."""
        self.step_loss = BucketSeries(capacity)
        self.step_acc = BucketSeries(capacity)
        self.train_loss = BucketSeries(capacity)
        self.train_acc = BucketSeries(capacity)
        self.val_loss = BucketSeries(capacity)
        self.val_acc = BucketSeries(capacity)
        self.lr = LRTrack(series=BucketSeries(capacity))
        self.markers: deque[Marker] = deque(maxlen=max_markers)
        self.log: deque[LogEntry] = deque(maxlen=max_log)
        self.pending: dict[str, Request] = {}
        self.notice: LogEntry | None = None
        """The latest acknowledgement or warning, shown where it is always visible."""
        self.logged = 0
        """Lines ever added to the log (it keeps only the latest max_log)."""
        self.noticed_at = 0.0
        self.diverging = False
        """Said by a `diverging` warning mid-epoch; each epoch's end says it again, or not."""
        """When (time.monotonic) the notice came: the event log pins it for a while."""
        self.warnings = 0
        self.dropped = 0
        """Step reports skipped because the monitor fell behind (curves lose detail only)."""
        self.version = 0
        self.milestones = 0
        """Counts every event but step reports: what makes plots worth redrawing at once."""
        self.samples: dict[str, ev.SamplesSaved] = {}
        self.layers: deque[ev.LayersSampled] = deque(maxlen=LAYER_SAMPLES)
        """The latest layer-health samples (the Layers screen draws them)."""
        self.classes: ev.ClassesCounted | None = None
        """The latest validation's per-class counts (the Classes screen draws them)."""
        """The latest pictures of each kind the run saved (the Samples screen reads them)."""
        self._event_time: float | None = None
        self._preset: dict[str, Any] = {}

    # Derived values -----------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self.status in ("starting", "running", "paused")

    @property
    def preset(self) -> dict[str, Any]:
        """The run's preset, defaults included."""
        return self._preset

    @property
    def epochs(self) -> int | None:
        if self.last_epoch is not None:
            return self.last_epoch.epochs
        return self.started.epochs if self.started else None

    @property
    def step(self) -> int | None:
        steps = [e.step for e in (self.progress, self.last_epoch, self.started) if e is not None]
        return max(steps) if steps else None

    @property
    def fit(self) -> tuple[str, float | None]:
        """('ok' | 'overfitting' | 'underfitting' | 'diverging' | '', train-minus-val accuracy
        gap). A divergence the step reports found shows at once, before its epoch ends."""
        gap = self.last_epoch.train_val_gap if self.last_epoch is not None else None
        if self.diverging:
            return "diverging", gap
        if self.last_epoch is None:
            return "", None
        return self.last_epoch.fit, gap

    def x_of(self, step: int) -> float:
        """Where a step sits on the epoch axis."""
        per_epoch = self.started.steps_per_epoch if self.started else 0
        if per_epoch > 0:
            return step / per_epoch
        if self.progress is not None and self.progress.batches > 0:
            p = self.progress
            return p.epoch - 1 + p.batch / p.batches
        return float(self.last_epoch.epoch) if self.last_epoch else 0.0

    # Requests from this monitor -------------------------------------------------------------

    def request(self, command: Command, label: str) -> None:
        """Note a command just sent, and say so at once."""
        self.pending[command.id] = Request(command, label)
        self._say("request", f"{label} requested…")

    def say(self, level: Level, text: str) -> None:
        """A line from the monitor itself (read-only refusals, settings problems)."""
        self._say(level, text)

    def _say(self, level: Level, text: str, notice: bool = True) -> None:
        # Engine events carry their own time: a replayed run shows when things happened.
        at = time.time() if self._event_time is None else self._event_time
        entry = LogEntry(at, level, text)
        self.log.append(entry)
        self.logged += 1
        if notice:
            self.notice, self.noticed_at = entry, time.monotonic()
        self.version += 1

    def _answer(self, cmd_id: str | None) -> Request | None:
        return self.pending.pop(cmd_id, None) if cmd_id else None

    # Ingestion ------------------------------------------------------------------------------

    def ingest(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            self._event_time = event.time
            try:
                handler(self, event)
            finally:
                self._event_time = None
            self.version += 1
            if not isinstance(event, ev.StepProgress):
                self.milestones += 1

    def _on_started(self, e: ev.RunStarted) -> None:
        self.started = e
        self._preset = describe.complete(e.preset)
        self.status = "running"
        self.lr.value, self.lr.source, self.lr.step = e.lr, "schedule", e.step
        self._say("info", _text(e), notice=False)

    def _on_step(self, e: ev.StepProgress) -> None:
        self.progress = e
        if self.status == "starting":
            self.status = "running"
        x = e.epoch - 1 + (e.batch / e.batches if e.batches else 0.0)
        self.step_loss.append(x, e.loss)
        self.step_acc.append(x, e.acc)
        self.lr.series.append(x, e.lr)
        if e.lr is not None:
            self.lr.value = e.lr

    def _on_validated(self, e: ev.Validated) -> None:
        self.val_loss.append(e.epoch, e.val_loss)
        self.val_acc.append(e.epoch, e.val_acc)
        request = self._answer(e.cmd_id)
        if request is not None or e.source != "schedule":
            self._say("ok", _text(e), notice=request is not None)
            self._mark(e.step, "validate", "V")

    def _on_epoch(self, e: ev.EpochEnded) -> None:
        self.last_epoch = e
        self.diverging = e.fit == "diverging"
        self.train_loss.append(e.epoch, e.train_loss)
        self.train_acc.append(e.epoch, e.train_acc)
        # Validation at epoch end also arrives as Validated; only fill a gap here.
        if e.val_loss is not None and not _has_point_at(self.val_loss, e.epoch):
            self.val_loss.append(e.epoch, e.val_loss)
            self.val_acc.append(e.epoch, e.val_acc)
        if e.is_best:
            self.best = (e.best_metric, e.best_value, e.epoch)
        self._say("info", _text(e), notice=False)

    def _on_lr(self, e: ev.LRChanged) -> None:
        request = self._answer(e.cmd_id)
        self.lr.value, self.lr.source, self.lr.step = e.lr, e.source, e.step
        self.lr.reason, self.lr.scale = e.reason, e.scale
        self.lr.series.append(self.x_of(e.step), e.lr)
        self._say(
            "warning" if e.source == "nan" else "ok",
            _text(e),
            notice=request is not None or e.source == "nan",
        )
        self._mark(e.step, "lr", "↓" if e.lr < e.previous else "↑")

    def _on_paused(self, e: ev.Paused) -> None:
        self._answer(e.cmd_id)
        self.status = "paused"
        self._say("ok", _text(e))
        self._mark(e.step, "pause", "P")

    def _on_resumed(self, e: ev.Resumed) -> None:
        self._answer(e.cmd_id)
        self.status = "running"
        self._say("ok", _text(e))

    def _on_checkpoint(self, e: ev.CheckpointSaved) -> None:
        request = self._answer(e.cmd_id)
        self._say("ok", _text(e), notice=request is not None or e.reason == "user")
        if e.reason in ("user", "signal"):
            self._mark(e.step, "checkpoint", "S")

    def _on_warned(self, e: ev.Warned) -> None:
        self.warnings += 1
        self._say("warning", _text(e))
        if e.category == "diverging":
            self.diverging = True
        if e.category == "nan" and e.step is not None:
            self._mark(e.step, "nan", "!")

    def _on_rejected(self, e: ev.CommandRejected) -> None:
        request = self._answer(e.cmd_id)
        self._say("error", _text(e, request.label if request is not None else None))

    def _on_run_resumed(self, e: ev.RunResumed) -> None:
        self.resumed = e
        self._say("info", _text(e), notice=False)

    def _on_finished(self, e: ev.Finished) -> None:
        self._answer(e.cmd_id)
        self.outcome = e
        self.status = "finished"
        self.pending.clear()
        self._say("ok", _text(e))

    def _on_failed(self, e: ev.Failed) -> None:
        self.outcome = e
        self.status = "failed"
        self.pending.clear()
        self._say("error", _text(e))

    def _on_log(self, e: ev.Log) -> None:
        level: Level = "info"
        if e.level in ("warning", "error"):
            level = "warning" if e.level == "warning" else "error"
        self._say(level, _text(e), notice=False)

    def _mark(self, step: int, kind: str, label: str) -> None:
        self.markers.append(Marker(self.x_of(step), step, kind, label))


def _text(event: ev.Event, label: str | None = None) -> str:
    line = words.monitor_line(event, label)
    return line if line is not None else event.type


def _on_samples(history: RunHistory, e: ev.SamplesSaved) -> None:
    history.samples[e.kind] = e


def _on_layers(history: RunHistory, e: ev.LayersSampled) -> None:
    history.layers.append(e)


def _on_classes(history: RunHistory, e: ev.ClassesCounted) -> None:
    history.classes = e


def _has_point_at(series: BucketSeries, x: float) -> bool:
    span = series.x_range()
    return span is not None and abs(span[1] - x) < 1e-6


_HANDLERS: dict[type[ev.Event], Callable[[RunHistory, Any], None]] = {
    ev.RunStarted: RunHistory._on_started,
    ev.StepProgress: RunHistory._on_step,
    ev.Validated: RunHistory._on_validated,
    ev.EpochEnded: RunHistory._on_epoch,
    ev.LRChanged: RunHistory._on_lr,
    ev.Paused: RunHistory._on_paused,
    ev.Resumed: RunHistory._on_resumed,
    ev.CheckpointSaved: RunHistory._on_checkpoint,
    ev.Warned: RunHistory._on_warned,
    ev.CommandRejected: RunHistory._on_rejected,
    ev.RunResumed: RunHistory._on_run_resumed,
    ev.Finished: RunHistory._on_finished,
    ev.Failed: RunHistory._on_failed,
    ev.Log: RunHistory._on_log,
    ev.SamplesSaved: _on_samples,
    ev.LayersSampled: _on_layers,
    ev.ClassesCounted: _on_classes,
}
