"""Exporting a run's history: CSV for spreadsheets and scripts, TensorBoard event files."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.runs.files import EVENTS
from tuitrain.runs.log import METRIC_COLUMNS
from tuitrain.runs.reader import DamagedLines, read_history

STEP_COLUMNS = ("step", "epoch", "batch", "loss", "acc", "lr", "images_per_s", "elapsed_s")


def run_events(run_dir: Path, warn: Callable[[str], None]) -> list[ev.Event]:
    """The run's events as its history stands: what a resume redid is there once, as redone
    (one epoch row per epoch, even where a process was killed before checkpointing). Lines
    that are not events are skipped, and `warn` hears once how many."""
    path = run_dir / EVENTS
    if not path.is_file():
        raise UserError(f"{run_dir} has no {EVENTS}; is it a tuitrain run directory?")
    damaged = DamagedLines()
    events = read_history(path, damaged=damaged)
    if damaged.count:
        warn(damaged.message(path))
    return events


def write_csv(events: Iterable[ev.Event], out: TextIO, *, steps: bool = False) -> int:
    """One row per epoch (or per progress report with steps); returns the rows written."""
    kind, columns = (ev.StepProgress, STEP_COLUMNS) if steps else (ev.EpochEnded, METRIC_COLUMNS)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    rows = 0
    for event in events:
        if isinstance(event, kind):
            values = (getattr(event, column) for column in columns)
            writer.writerow(["" if value is None else value for value in values])
            rows += 1
    return rows


def write_class_accuracy(events: Iterable[ev.Event], out: TextIO) -> int:
    """Per-class validation accuracy, one row per epoch that ended with a validation: epoch,
    step, then a column per class (its name); returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    latest: ev.ClassesCounted | None = None
    rows = 0
    for event in events:
        if isinstance(event, ev.ClassesCounted):
            latest = event
        elif isinstance(event, ev.EpochEnded) and latest is not None and latest.step == event.step:
            if rows == 0:
                writer.writerow(["epoch", "step", *latest.names])
            accuracies = ("" if a is None else a for a in latest.acc)
            writer.writerow([event.epoch, event.step, *accuracies])
            rows += 1
    if rows == 0:
        raise UserError("the run has no per-class results (train.diagnose.classes, validation)")
    return rows


def write_confusion(events: Iterable[ev.Event], out: TextIO) -> int:
    """The last validation's confusion matrix: a row per true class, a column per predicted
    one, both by name; returns the rows written."""
    last = None
    for event in events:
        if isinstance(event, ev.ClassesCounted):
            last = event
    if last is None:
        raise UserError("the run has no confusion matrix (train.diagnose.classes, validation)")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["true \\ predicted", *last.names])
    for name, row in zip(last.names, last.matrix, strict=True):
        writer.writerow([name, *row])
    return len(last.matrix)


TENSORBOARD_FILES = "events.out.tfevents.*"


def tensorboard_writer() -> type:
    """TensorBoard's SummaryWriter, or a UserError whose hint fits how tuitrain was installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError(
            "exporting to TensorBoard needs the tensorboard package",
            hint=_tensorboard_install_hint(),
        ) from None
    return SummaryWriter


def _tensorboard_install_hint() -> str:
    """The checkout's extra where tuitrain was installed with -e, else the extra by name."""
    from importlib import metadata

    try:
        recorded = metadata.distribution("tuitrain").read_text("direct_url.json")
        direct_url = json.loads(recorded or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        direct_url = {}
    if direct_url.get("dir_info", {}).get("editable"):
        checkout = direct_url.get("url", "").removeprefix("file://") or "."
        return f"pip install -e '{checkout}[tensorboard]'"
    return "pip install 'tuitrain[tensorboard]'"


def previous_tensorboard_files(log_dir: Path) -> list[Path]:
    """Event files an earlier export left in `log_dir` (TensorBoard would show both)."""
    return sorted(log_dir.glob(TENSORBOARD_FILES)) if log_dir.is_dir() else []


def write_tensorboard(events: Iterable[ev.Event], log_dir: Path) -> int:
    """Scalars for TensorBoard, replacing an earlier export's event files; returns how many.

    Every scalar is on the global step, so epoch and step curves share TensorBoard's step axis;
    the epoch number is a scalar of its own (`epoch/epoch`)."""
    writer_class = tensorboard_writer()
    for stale in previous_tensorboard_files(log_dir):
        stale.unlink()
    written = 0
    with writer_class(log_dir=str(log_dir)) as writer:
        for event in events:
            for tag, value in _scalars(event):
                if value is not None:
                    writer.add_scalar(tag, value, getattr(event, "step", None), walltime=event.time)
                    written += 1
    return written


def _scalars(event: ev.Event) -> list[tuple[str, float | None]]:
    if isinstance(event, ev.StepProgress):
        return [
            ("step/loss", event.loss),
            ("step/accuracy", event.acc),
            ("step/lr", event.lr),
            ("step/images_per_s", event.images_per_s),
        ]
    if isinstance(event, ev.EpochEnded):
        return [
            ("epoch/epoch", event.epoch),
            ("epoch/train_loss", event.train_loss),
            ("epoch/train_accuracy", event.train_acc),
            ("epoch/val_loss", event.val_loss),
            ("epoch/val_accuracy", event.val_acc),
            ("epoch/lr", event.lr),
        ]
    return []
