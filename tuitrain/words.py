"""Events into words, for every front end: the headless log's lines, `tuitrain ctl`'s answers and
the monitor's event log, with the one set of number and duration formatters they all use.

Each front end (headless.py, control/, ui/) imports this module and none imports another.
No textual or rich here: the headless printer and `ctl` run without a terminal library.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, TypeGuard

from tuitrain.engine import events as ev

MISSING = "--"
"""What every formatter prints for a value that is unknown (None, NaN, infinite)."""

USER_SOURCES = frozenset({"key", "attach", "ctl", "api", "signal"})
"""Sources of commands a person gave (the others are the schedule and the NaN roll-back)."""


# Numbers and durations --------------------------------------------------------------------


def _known(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def duration(seconds: float | None) -> str:
    """`1:02:03`, `2:03`, `5d` past a hundred hours, or `--` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return MISSING
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 100:
        return f"{hours / 24:.0f}d"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def number(value: float | None, digits: int = 4) -> str:
    """A plain number to `digits` significant digits."""
    return f"{value:.{digits}g}" if _known(value) else MISSING


def loss(value: float | None) -> str:
    """A loss to four decimals, so that a slow decline still shows: `0.2500`; a diverged one
    in four digits, `1.5e+15`, not sixteen."""
    if not _known(value):
        return MISSING
    return f"{value:.4f}" if abs(value) < 1e5 else f"{value:.4g}"


def percent(value: float | None) -> str:
    """An accuracy in 0..1 as `81.2%`."""
    return f"{100 * value:.1f}%" if _known(value) else MISSING


def points(value: float | None) -> str:
    """A difference of accuracies as signed percentage points."""
    return f"{100 * value:+.1f} pts" if _known(value) else MISSING


def lr(value: float | None) -> str:
    """A learning rate: `0.05`, `0.00125`, `3e-05` as `3e-5`."""
    if not _known(value):
        return MISSING
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def device(name: str) -> str:
    """A torch device as users say it: `CPU`, `GPU cuda:1`."""
    if name == "cpu":
        return "CPU"
    return f"GPU {name}" if name.startswith("cuda") else name


def factor(reason: str) -> str:
    """An LR change's reason as the monitor writes factors: `x0.5` as `×0.5`."""
    return re.sub(r"^x(?=[\d.])", "×", reason)


def rate(value: float | None) -> str:
    """Images per second, grouped: `12,345`; below a hundred with one decimal."""
    if not _known(value):
        return MISSING
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def count(value: int) -> str:
    """A large count, compact: `11.2M`, `512k`, `900`."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


def counted(n: int, noun: str) -> str:
    """`1 epoch`, `1,200 steps`."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def metric_value(metric: str, value: float | None) -> str:
    """A monitored metric's value as every report shows it: accuracies as percentages."""
    return percent(value) if metric.endswith("acc") else loss(value)


def _best(metric: str, value: float | None, lead: str) -> str:
    return "" if value is None else f"{lead}best {metric} {metric_value(metric, value)}"


def _reason(reason: str) -> str:
    return f" ({reason})" if reason else ""


# The headless log -------------------------------------------------------------------------


def headless_line(event: ev.Event) -> str | None:
    """The headless log's line for an event, or None for those it leaves out."""
    formatter = _HEADLESS.get(type(event))
    return formatter(event) if formatter is not None else None


def _progress(event: ev.StepProgress) -> str:
    done = event.batch / event.batches if event.batches else 0.0
    return (
        f"epoch {event.epoch} step {event.batch}/{event.batches} ({done:.0%})  "
        f"loss {loss(event.loss)}  acc {percent(event.acc)}  lr {lr(event.lr)}  "
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
        f"images, {event.num_classes} classes; {_model_words(event, model)}, "
        f"{optim.get('kind')} lr {lr(event.lr)}, "
        f"{preset.get('schedule', {}).get('kind')} schedule, augment {'+'.join(augment)}"
    )


def _model_words(event: ev.RunStarted, model: dict[str, Any]) -> str:
    """`cnn (batch norm, 98,314 parameters)`, `torchvision resnet18 (11,181,642 parameters;
    norm: 20 BatchNorm2d replaced by LayerNorm)`."""
    name = event.model or str(model.get("kind"))
    notes = "; ".join(event.model_notes)
    norm = f"{model.get('norm')} norm, " if model.get("norm") and not event.model_notes else ""
    tail = f"; {notes}" if notes else ""
    return f"{name} ({norm}{event.parameters:,} parameters{tail})"


def _epoch(event: ev.EpochEnded) -> str:
    val = ""
    if event.val_loss is not None:
        best = " (best)" if event.is_best else ""
        val = f"  val loss {loss(event.val_loss)} acc {percent(event.val_acc)}{best}"
    fit = f"  [{event.fit}]" if event.fit != "ok" else ""
    return (
        f"epoch {event.epoch}/{event.epochs} done in {duration(event.epoch_s)}  "
        f"train loss {loss(event.train_loss)} acc {percent(event.train_acc)}{val}  "
        f"lr {lr(event.lr)}  {event.images_per_s:,.0f} img/s  ETA {duration(event.eta_run_s)}{fit}"
    )


def _finished(event: ev.Finished) -> str:
    return (
        f"finished: {event.status}{_reason(event.reason)} after {counted(event.epoch, 'epoch')}, "
        f"{counted(event.step, 'step')}, {duration(event.elapsed_s)}"
        f"{_best(event.best_metric, event.best_value, '; ')}{_unsaved(event)}"
    )


def _unsaved(event: ev.Finished) -> str:
    return f"; NOT SAVED: {event.unsaved}" if event.unsaved else ""


def _validated(event: ev.Validated) -> str | None:
    if event.source == "schedule":
        return None  # the epoch line reports it
    return (
        f"validated at step {event.step}: val loss {loss(event.val_loss)} "
        f"acc {percent(event.val_acc)}"
    )


def _failed(event: ev.Failed) -> str:
    where = f" at step {event.step}" if event.step is not None else " before training"
    return f"FAILED ({event.error}){where}: {event.message}"


def describe_end(result: ev.Finished | ev.Failed) -> str:
    """The line that sums up how a run ended, as the headless log's last line says it."""
    return _finished(result) if isinstance(result, ev.Finished) else _failed(result)


def _run_resumed(event: ev.RunResumed) -> str:
    how = "exactly" if event.exact else "closely"
    return f"continuing {how} from {event.checkpoint} (epoch {event.epoch}, step {event.step})"


def hangup_note(status: dict[str, Any], run_name: str) -> str:
    """console.log's first line after the terminal went away: a paused run logs nothing for
    as long as it waits, so it says so, and how to resume it."""
    if status.get("status") == "paused":
        return (
            f"the terminal went away while paused at step {status.get('step', '?')}: the run "
            f"waits, paused; resume it with tuitrain ctl {run_name} resume, "
            f"or tuitrain attach {run_name}"
        )
    return "the terminal went away: training goes on headless, logging here"


def paused_since(status: dict[str, Any]) -> str:
    """`paused since 21:04` (with the date when not today) for `tuitrain runs`."""
    at = status.get("paused_at")
    if not isinstance(at, (int, float)):
        return "paused"
    same_day = time.strftime("%Y-%m-%d", time.localtime(at)) == time.strftime("%Y-%m-%d")
    shown = time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", time.localtime(at))
    return f"paused since {shown}"


_HEADLESS: dict[type, Callable[[Any], str | None]] = {
    ev.StepProgress: _progress,
    ev.RunStarted: _started,
    ev.EpochEnded: _epoch,
    ev.Validated: _validated,
    ev.LRChanged: lambda e: (
        f"learning rate {lr(e.previous)} -> {lr(e.lr)} at step {e.step} ({e.source}: {e.reason})"
    ),
    ev.Paused: lambda e: f"paused at step {e.step} ({e.source})",
    ev.Resumed: lambda e: f"resumed at step {e.step} after {duration(e.paused_s)} ({e.source})",
    ev.CheckpointSaved: lambda e: f"checkpoint ({e.reason}) at step {e.step}: {e.path}",
    ev.Warned: lambda e: f"warning [{e.category}]: {e.message}",
    ev.CommandRejected: lambda e: f"refused {e.command} from {e.source}: {e.reason}",
    ev.RunResumed: _run_resumed,
    ev.Log: lambda e: e.message if e.level == "info" else f"{e.level}: {e.message}",
    ev.Finished: _finished,
    ev.Failed: _failed,
}


# `tuitrain ctl`'s answers -----------------------------------------------------------------


def ctl_answer(event: ev.Event) -> str:
    """A running run's answer to one command, as one line for the user."""
    formatter = _CTL.get(type(event))
    return formatter(event) if formatter is not None else f"{event.type} (step {_step(event)})"


def _step(event: ev.Event) -> Any:
    return getattr(event, "step", "?")


def _ctl_lr(event: ev.LRChanged) -> str:
    # The factor asked for, then the user's scale in total (what resume keeps applying).
    return (
        f"learning rate {lr(event.previous)} -> {lr(event.lr)} ({event.reason}) "
        f"at step {event.step}; your scale on the schedule is now x{event.scale:.4g}"
    )


_CTL: dict[type, Callable[[Any], str]] = {
    ev.Paused: lambda e: f"paused at step {e.step}",
    ev.Resumed: lambda e: f"resumed at step {e.step} after {duration(e.paused_s)} paused",
    ev.LRChanged: _ctl_lr,
    ev.CheckpointSaved: lambda e: f"checkpoint saved: {e.path} (step {e.step})",
    ev.Validated: lambda e: (
        f"validated at step {e.step}: val loss {loss(e.val_loss)}, val acc {percent(e.val_acc)}"
    ),
    ev.Finished: lambda e: f"{e.status} at step {e.step} ({e.epoch} epochs complete)",
}


# The monitor's event log ------------------------------------------------------------------


def in_runs_folder(path: str) -> str:
    """A checkpoint's path from the runs folder on (`<run>/checkpoints/last.pt`): the monitor's
    header names the run, and a full path would be cut off in the log."""
    parts = PurePath(path).parts
    if len(parts) >= 3 and parts[-2] == "checkpoints":
        return str(PurePath(*parts[-3:]))
    return path


def monitor_line(event: ev.Event, label: str | None = None) -> str | None:
    """The monitor's event-log text for an event, or None for those it does not log.
    `label` names the request this monitor sent, when the event answers one."""
    if isinstance(event, ev.CommandRejected):
        return f"{label or event.command} rejected: {event.reason}"
    formatter = _MONITOR.get(type(event))
    return formatter(event) if formatter is not None else None


def _monitor_started(e: ev.RunStarted) -> str:
    what = "resumed" if e.resumed else "started"
    return (
        f"{what} {e.preset_name} on {e.device_name} ({e.precision}): "
        f"{e.epochs} epochs × {e.steps_per_epoch} steps, {count(e.parameters)} params"
    )


def _monitor_epoch(e: ev.EpochEnded) -> str:
    val = f", val {loss(e.val_loss)} / {percent(e.val_acc)}" if e.val_loss is not None else ""
    star = " best" if e.is_best else ""
    train = f"{loss(e.train_loss)} / {percent(e.train_acc)}"
    return f"epoch {e.epoch}/{e.epochs}: train {train}{val}{star}"


def _monitor_lr(e: ev.LRChanged) -> str:
    who = {"schedule": "schedule", "nan": "NaN roll-back"}.get(e.source, e.source)
    reason = f", {factor(e.reason)}" if e.reason else ""
    return f"LR {lr(e.previous)} → {lr(e.lr)} ({who}{reason}) at step {e.step}"


def _monitor_run_resumed(e: ev.RunResumed) -> str:
    exact = "exactly" if e.exact else "approximately"
    note = f" ({e.note})" if e.note else ""
    return f"continuing from {in_runs_folder(e.checkpoint)} at epoch {e.epoch}, {exact}{note}"


def _monitor_finished(e: ev.Finished) -> str:
    return (
        f"finished: {e.status.replace('_', ' ')}{_reason(e.reason)} after {e.epoch} epochs, "
        f"step {e.step}{_best(e.best_metric, e.best_value, ', ')}{_unsaved(e)}"
    )


_MONITOR: dict[type, Callable[[Any], str]] = {
    ev.RunStarted: _monitor_started,
    ev.Validated: lambda e: (
        f"validated at epoch {e.epoch:.2f}: loss {loss(e.val_loss)}, "
        f"acc {percent(e.val_acc)} ({e.source})"
    ),
    ev.EpochEnded: _monitor_epoch,
    ev.LRChanged: _monitor_lr,
    ev.Paused: lambda e: f"paused at step {e.step} ({e.source})",
    ev.Resumed: lambda e: f"resumed at step {e.step} after {duration(e.paused_s)} ({e.source})",
    ev.CheckpointSaved: lambda e: (
        f"checkpoint ({e.reason}) saved at step {e.step} in {e.seconds:.1f}s: "
        f"{in_runs_folder(e.path)}"
    ),
    ev.Warned: lambda e: f"{e.category}: {e.message}",
    ev.RunResumed: _monitor_run_resumed,
    ev.Finished: _monitor_finished,
    ev.Failed: lambda e: f"FAILED: {e.error}: {e.message}",
    ev.Log: lambda e: e.message,
}
