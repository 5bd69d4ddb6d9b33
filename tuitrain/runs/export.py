"""Exporting a run's history: CSV for spreadsheets and scripts, TensorBoard event files."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.runs.log import METRIC_COLUMNS
from tuitrain.runs.reader import read_history
from tuitrain.runs.rundir import EVENTS

STEP_COLUMNS = ("step", "epoch", "batch", "loss", "acc", "lr", "images_per_s", "elapsed_s")


def run_events(run_dir: Path) -> list[ev.Event]:
    """The run's events as its history stands: what a resume redid is there once, as redone
    (one epoch row per epoch, even where a process was killed before checkpointing)."""
    path = run_dir / EVENTS
    if not path.is_file():
        raise UserError(f"{run_dir} has no {EVENTS}; is it a tuitrain run directory?")
    return read_history(path)


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


def write_tensorboard(events: Iterable[ev.Event], log_dir: Path) -> int:
    """Scalars for TensorBoard; returns how many were written."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError(
            "exporting to TensorBoard needs the tensorboard package",
            hint="pip install tensorboard  (or: pip install -e '.[tensorboard]')",
        ) from None
    written = 0
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for event in events:
            for tag, value, step in _scalars(event):
                if value is not None:
                    writer.add_scalar(tag, value, step, walltime=event.time)
                    written += 1
    return written


def _scalars(event: ev.Event) -> list[tuple[str, float | None, int]]:
    if isinstance(event, ev.StepProgress):
        step = event.step
        return [
            ("step/loss", event.loss, step),
            ("step/accuracy", event.acc, step),
            ("step/lr", event.lr, step),
            ("step/images_per_s", event.images_per_s, step),
        ]
    if isinstance(event, ev.EpochEnded):
        epoch = event.epoch
        return [
            ("epoch/train_loss", event.train_loss, epoch),
            ("epoch/train_accuracy", event.train_acc, epoch),
            ("epoch/val_loss", event.val_loss, epoch),
            ("epoch/val_accuracy", event.val_acc, epoch),
            ("epoch/lr", event.lr, epoch),
        ]
    return []
