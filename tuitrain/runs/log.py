"""The run log: a consumer that writes every event to the run directory as it happens."""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.runs.atomic import atomic_write_text
from tuitrain.runs.files import EVENTS, METRICS, STATUS
from tuitrain.runs.lines import LineFile, reason
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.status import read_status, this_process, write_status

METRIC_COLUMNS = (
    "epoch",
    "step",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "lr",
    "epoch_s",
    "images_per_s",
    "elapsed_s",
)

_FINAL = {"completed", "early_stopped", "stopped", "interrupted"}


class RunLog:
    """events.jsonl (one line per event, written at once), metrics.csv and status.json.

    A write the disk refuses (full, a quota, a file-size limit) never stops the run: `warn`
    hears of it once, when it happens; the line is counted as lost and the next one tried, and
    status.json is written again as soon as there is room. The final status then says what
    was not saved (`unsaved`), and so does `unsaved` here, for the exit code.
    """

    def __init__(
        self,
        run: RunDirectory,
        *,
        preset_name: str,
        epochs: int,
        covered_epochs: int | None = None,
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        """`covered_epochs`, when resuming: the epochs the checkpoint holds. Rows of later
        epochs in metrics.csv were written by the process that stopped before checkpointing
        them; the resumed run trains those epochs again and writes their rows anew."""
        self.run = run
        self._lock = threading.Lock()
        self._warn = warn
        self._warned = False
        self._status_error: OSError | None = None
        _cut_torn_line(run.events_path)
        _cut_torn_line(run.metrics_path)
        self._covered = covered_epochs
        if covered_epochs is not None:
            try:
                _keep_epochs_up_to(run.metrics_path, covered_epochs)
            except OSError as exc:  # before any training: nothing is lost by stopping here
                raise UserError(
                    f"cannot resume {run.path}: no room to rewrite {run.metrics_path} "
                    f"({reason(exc)})",
                    hint="free some space on that disk, then resume again",
                ) from None
        self._events = LineFile(run.events_path)
        new_metrics = not run.metrics_path.exists()
        self._metrics = LineFile(run.metrics_path)
        if new_metrics:
            self._write_metrics_row(METRIC_COLUMNS)
        # A resumed run keeps the time it was first started: `tuitrain runs` lists runs by it.
        earlier = read_status(run.path).get("started") if covered_epochs is not None else None
        started = earlier if isinstance(earlier, (int, float)) else time.time()
        self.status: dict[str, Any] = {
            "status": "starting",
            **this_process(),
            "started": started,
            "preset_name": preset_name,
            "epoch": 0,
            "epochs": epochs,
            "step": 0,
            "best_metric": None,
            "best_value": None,
            "control": None,
        }
        self._write_status()

    @property
    def offset(self) -> int:
        """Bytes of events.jsonl that hold complete events."""
        with self._lock:
            return self._events.size

    @property
    def unsaved(self) -> str:
        """What the log could not write (empty when everything was written)."""
        lost = []
        if self._events.lost:
            lost.append(f"{self._events.lost} events of {EVENTS}")
        if self._metrics.lost:
            lost.append(f"{self._metrics.lost} rows of {METRICS}")
        if not lost:
            return ""
        error = self._events.error or self._metrics.error
        return f"{' and '.join(lost)} ({reason(error)})"

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            written = self._events.append(event.to_json() + "\n")
        if not written:
            self._refused(self._events.path, self._events.error)
        if isinstance(event, ev.EpochEnded):
            self._on_epoch(event)
        if isinstance(event, ev.RunResumed):
            self._went_back_to(event.epoch)
        changes = _status_changes(event)
        if isinstance(event, ev.Finished):
            changes.update(self._unsaved_status(changes["status"], event))
        if changes or self._status_error is not None:  # retried until there is room again
            self.status.update(changes)
            self._write_status()

    def set_control(self, socket_path: str | None) -> None:
        self.status["control"] = socket_path
        self._write_status()

    def close(self) -> None:
        with self._lock:
            self._events.close()
        self._metrics.close()
        if self._status_error is not None:
            self._write_status()  # a last try: never leave 'running' for a process that ended

    def _went_back_to(self, epoch: int) -> None:
        """The trainer resumed from an older checkpoint than the one chosen for it (that one
        did not fit its model): the rows after it are redone too."""
        if self._covered is None or epoch >= self._covered:
            return
        self._covered = epoch
        self._metrics.close()
        _keep_epochs_up_to(self.run.metrics_path, epoch)
        self._metrics = LineFile(self.run.metrics_path)

    def _unsaved_status(self, ended_as: str, event: ev.Finished) -> dict[str, Any]:
        """A run that ended with work not on disk says so: status 'unsaved', and what."""
        unsaved = "; ".join(text for text in (event.unsaved, self.unsaved) if text)
        if not unsaved:
            return {}
        return {"status": "unsaved", "ended_as": ended_as, "unsaved": unsaved}

    def _refused(self, path: Path, error: OSError | None) -> None:
        """Said once, as it happens: the first write the disk refused."""
        if self._warned:
            return
        self._warned = True
        self._warn(
            f"cannot write {path} ({reason(error)}): the run trains on and still tries to "
            "save its checkpoints; what the log cannot write until there is room is lost"
        )

    def _on_epoch(self, event: ev.EpochEnded) -> None:
        row = [getattr(event, column) for column in METRIC_COLUMNS]
        self._write_metrics_row(["" if v is None else v for v in row])

    def _write_metrics_row(self, row: Any) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(row)
        if not self._metrics.append(buffer.getvalue()):
            self._refused(self._metrics.path, self._metrics.error)

    def _write_status(self) -> None:
        self.status["updated"] = time.time()
        try:
            write_status(self.run.path, self.status)
        except OSError as exc:
            self._status_error = exc
            self._refused(self.run.path / STATUS, exc)
        else:
            self._status_error = None


def _cut_torn_line(path: Path) -> None:
    """A process killed mid-write leaves a last line without its newline: an incomplete record
    that no reader can use. Cut it off, so what this process appends starts on a line of its own
    and every line of the file parses."""
    try:
        with open(path, "rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            tail = max(0, size - 65536)
            handle.seek(tail)
            chunk = handle.read()
            if chunk.endswith(b"\n") or not chunk:
                return
            newline = chunk.rfind(b"\n")
            if newline < 0 and tail > 0:
                return  # a line longer than we look back over: leave it for readers to skip
            handle.truncate(tail + newline + 1)
    except FileNotFoundError:
        pass


def _keep_epochs_up_to(path: Path, covered: int) -> None:
    """Cut metrics.csv back to the rows of epochs 1..`covered`, one row per epoch (the last
    written of any duplicates), in epoch order. Replaced atomically, and only when it changes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "epoch" not in rows[0]:
        return  # not a metrics file this version wrote: leave it alone
    header, column = rows[0], rows[0].index("epoch")
    kept: dict[int, list[str]] = {}
    for row in rows[1:]:
        try:
            epoch = int(row[column])
        except (IndexError, ValueError):
            continue
        if epoch <= covered:
            kept[epoch] = row
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(kept[epoch] for epoch in sorted(kept))
    if buffer.getvalue() != text:
        atomic_write_text(path, buffer.getvalue())


def _status_changes(event: ev.Event) -> dict[str, Any]:
    if isinstance(event, ev.RunStarted):
        model = event.model or str(event.preset.get("model", {}).get("kind", ""))
        return {
            "status": "running",
            "step": event.step,
            "paused_at": None,
            "model": model,
            "parameters": event.parameters,
        }
    if isinstance(event, (ev.Resumed, ev.RunResumed)):
        return {"status": "running", "step": event.step, "paused_at": None}
    if isinstance(event, ev.Paused):
        return {"status": "paused", "step": event.step, "paused_at": event.time}
    if isinstance(event, ev.EpochEnded):
        return {
            "epoch": event.epoch,
            "step": event.step,
            "best_metric": event.best_metric,
            "best_value": event.best_value,
            "train_loss": event.train_loss,
            "val_acc": event.val_acc,
            "elapsed_s": event.elapsed_s,
        }
    if isinstance(event, ev.Finished):
        status = event.status if event.status in _FINAL else "stopped"
        return {
            "status": status,
            "step": event.step,
            "elapsed_s": event.elapsed_s,
            "ended": event.time,
        }
    if isinstance(event, ev.Failed):
        return {"status": "failed", "error": event.message, "ended": event.time}
    return {}
