"""The headless printer: plain, timestamped lines for batch jobs, nohup logs and CI.

No carriage returns, no escape codes, one flushed line per message. Progress within an epoch
is throttled by time (a log of a day-long run stays readable); epoch summaries, learning-rate
changes, warnings and the end are always printed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any, TextIO

from tuitrain.engine import events as ev


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def number(value: float | None, fmt: str = ".4f") -> str:
    return "-" if value is None else format(value, fmt)


class HeadlessPrinter:
    def __init__(self, stream: TextIO, *, every_s: float = 10.0) -> None:
        self.stream = stream
        self.every_s = every_s
        self._last_progress = float("-inf")

    def __call__(self, event: ev.Event) -> None:
        line = self._format(event)
        if line is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.time))
            try:
                self.stream.write(f"{stamp}  {line}\n")
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        """The reader of a pipe went away (`| head`, a closed `| tee`): the run goes on, and
        everything it says is still in the run directory's events.jsonl."""
        devnull = open(os.devnull, "w")  # noqa: SIM115 (kept open for the rest of the run)
        with contextlib.suppress(OSError, ValueError):
            # Also under the stream's file descriptor, or the interpreter's last flush of
            # stdout at exit would raise the same error again.
            os.dup2(devnull.fileno(), self.stream.fileno())
        self.stream = devnull

    def _format(self, event: ev.Event) -> str | None:
        if isinstance(event, ev.StepProgress):
            return self._progress(event)
        formatter = _FORMATTERS.get(type(event))
        return formatter(event) if formatter is not None else None

    def _progress(self, event: ev.StepProgress) -> str | None:
        now = time.monotonic()
        if now - self._last_progress < self.every_s:
            return None
        self._last_progress = now
        done = event.batch / event.batches if event.batches else 0.0
        return (
            f"epoch {event.epoch} step {event.batch}/{event.batches} ({done:.0%})  "
            f"loss {number(event.loss)}  acc {percent(event.acc)}  lr {event.lr:.4g}  "
            f"{event.images_per_s:,.0f} img/s  ETA epoch {duration(event.eta_epoch_s)} "
            f"run {duration(event.eta_run_s)}"
        )


def _started(event: ev.RunStarted) -> str:
    preset = event.preset
    model, optim = preset.get("model", {}), preset.get("optim", {})
    augment = [k for k, v in preset.get("augment", {}).items() if v is not None] or ["none"]
    where = f" in {event.run_dir}" if event.run_dir else ""
    return (
        f"{'resumed' if event.resumed else 'started'} {event.preset_name}{where} on "
        f"{event.device_name} ({event.precision}): {event.epochs} epochs x "
        f"{event.steps_per_epoch} steps, {event.train_size:,} train / {event.val_size:,} val "
        f"images, {event.num_classes} classes; {model.get('kind')} ({model.get('norm')} norm, "
        f"{event.parameters:,} parameters), {optim.get('kind')} lr {event.lr:.4g}, "
        f"{preset.get('schedule', {}).get('kind')} schedule, augment {'+'.join(augment)}"
    )


def _epoch(event: ev.EpochEnded) -> str:
    val = ""
    if event.val_loss is not None:
        best = " (best)" if event.is_best else ""
        val = f"  val loss {event.val_loss:.4f} acc {percent(event.val_acc)}{best}"
    fit = f"  [{event.fit}]" if event.fit != "ok" else ""
    return (
        f"epoch {event.epoch}/{event.epochs} done in {duration(event.epoch_s)}  "
        f"train loss {event.train_loss:.4f} acc {percent(event.train_acc)}{val}  "
        f"lr {event.lr:.4g}  {event.images_per_s:,.0f} img/s  ETA {duration(event.eta_run_s)}{fit}"
    )


def metric_value(metric: str, value: float) -> str:
    """A monitored metric's value as every report shows it: accuracies as percentages."""
    return percent(value) if metric.endswith("acc") else f"{value:.4f}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _finished(event: ev.Finished) -> str:
    best = ""
    if event.best_value is not None:
        best = f"; best {event.best_metric} {metric_value(event.best_metric, event.best_value)}"
    reason = f" ({event.reason})" if event.reason else ""
    return (
        f"finished: {event.status}{reason} after {_count(event.epoch, 'epoch')}, "
        f"{_count(event.step, 'step')}, "
        f"{duration(event.elapsed_s)}{best}"
    )


def _validated(event: ev.Validated) -> str | None:
    if event.source == "schedule":
        return None  # the epoch line reports it
    loss, acc = number(event.val_loss), percent(event.val_acc)
    return f"validated at step {event.step}: val loss {loss} acc {acc}"


def _lr(event: ev.LRChanged) -> str:
    return (
        f"learning rate {event.previous:.4g} -> {event.lr:.4g} at step {event.step} "
        f"({event.source}: {event.reason})"
    )


def describe_end(result: ev.Finished | ev.Failed) -> str:
    """The line that sums up how a run ended, as the headless log's last line says it."""
    return _finished(result) if isinstance(result, ev.Finished) else _failed(result)


def _failed(event: ev.Failed) -> str:
    where = f" at step {event.step}" if event.step is not None else " before training"
    return f"FAILED ({event.error}){where}: {event.message}"


def _resumed(event: ev.Resumed) -> str:
    return f"resumed at step {event.step} after {duration(event.paused_s)} ({event.source})"


def _run_resumed(event: ev.RunResumed) -> str:
    how = "exactly" if event.exact else "closely"
    return f"continuing {how} from {event.checkpoint} (epoch {event.epoch}, step {event.step})"


def _log(event: ev.Log) -> str:
    return event.message if event.level == "info" else f"{event.level}: {event.message}"


_FORMATTERS: dict[type, Callable[[Any], str | None]] = {
    ev.RunStarted: _started,
    ev.EpochEnded: _epoch,
    ev.Validated: _validated,
    ev.LRChanged: _lr,
    ev.Paused: lambda e: f"paused at step {e.step} ({e.source})",
    ev.Resumed: _resumed,
    ev.CheckpointSaved: lambda e: f"checkpoint ({e.reason}) at step {e.step}: {e.path}",
    ev.Warned: lambda e: f"warning [{e.category}]: {e.message}",
    ev.CommandRejected: lambda e: f"refused {e.command} from {e.source}: {e.reason}",
    ev.RunResumed: _run_resumed,
    ev.Log: _log,
    ev.Finished: _finished,
    ev.Failed: _failed,
}
