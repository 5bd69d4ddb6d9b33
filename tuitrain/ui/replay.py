"""RunDirLink: a read-only RunLink that replays a run directory's events.jsonl.

History first, in chunks so a long run's log never sits in memory at once; then, while
status.json says the run is live, the file is tailed. A torn last line (the writer is
mid-write) is left alone and read again on the next poll. When the run is over but its log
never said so (the process was killed), the link says so with a Finished('interrupted')
event of its own, marked source='view', so the monitor does not show RUNNING forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain.engine import events as ev
from tuitrain.engine.commands import Command
from tuitrain.runs.files import EVENTS
from tuitrain.runs.reader import DamagedLines, read_events
from tuitrain.runs.status import LIVE, read_status

CHUNK = 1 << 20
"""Bytes of events.jsonl read at a time."""
POLL_S = 0.5
"""How often a live run's log is looked at again."""


class RunDirLink:
    can_control = False
    owns_run = False

    def __init__(self, run_dir: Path, *, poll_s: float = POLL_S, chunk: int = CHUNK) -> None:
        self.run_dir = run_dir
        self.label = f"viewing {run_dir.name} (read-only)"
        self.poll_s = poll_s
        self.chunk = chunk
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended = False
        self._damaged = DamagedLines()

    @property
    def events_path(self) -> Path:
        return self.run_dir / EVENTS

    def start(self, emit: Callable[[ev.Event], None]) -> None:
        self._thread = threading.Thread(
            target=self._follow, args=(emit,), name="tuitrain-view", daemon=True
        )
        self._thread.start()

    def submit(self, command: Command) -> None:
        raise PermissionError(f"{self.label}: commands cannot reach a viewed run")

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=0.5)

    def _follow(self, emit: Callable[[ev.Event], None]) -> None:
        offset = 0
        while not self._closed.is_set():
            offset, more = self._read(offset, emit)
            if more:
                continue  # history still coming: no waiting between chunks
            self._say_damage(emit)
            if read_status(self.run_dir).get("status") in LIVE:
                self._closed.wait(self.poll_s)
                continue
            # The run is over: what it wrote just before saying so is read, to the end.
            more = True
            while more and not self._closed.is_set():
                offset, more = self._read(offset, emit)
            self._wrap_up(offset, emit)
            return

    def _read(self, offset: int, emit: Callable[[ev.Event], None]) -> tuple[int, bool]:
        """Emit complete events from offset on; (new offset, whether more is waiting)."""
        path, damaged = self.events_path, self._damaged
        events, new_offset = read_events(path, offset, offset + self.chunk, damaged=damaged)
        if new_offset == offset and self._size() >= offset + self.chunk:
            # One line longer than a chunk: read it whole.
            events, new_offset = read_events(path, offset, damaged=damaged)
        for event in events:
            if self._closed.is_set():
                return new_offset, False
            self._ended = self._ended or event.type in ev.TERMINAL_TYPES
            emit(event)
        return new_offset, new_offset > offset and self._size() > new_offset

    def _size(self) -> int:
        try:
            return self.events_path.stat().st_size
        except OSError:
            return 0

    def _say_damage(self, emit: Callable[[ev.Event], None]) -> None:
        """Once, when the history has been read: how many lines were not events."""
        warning = self._damaged.warning(self.events_path)
        if warning is not None:
            emit(warning)

    def _wrap_up(self, offset: int, emit: Callable[[ev.Event], None]) -> None:
        self._say_damage(emit)
        if self._size() > offset:
            emit(ev.Log(level="warning", message="skipped an incomplete last line in the log"))
        if self._ended:
            return
        status = read_status(self.run_dir)
        if status.get("status") == "unknown":
            emit(ev.Log(level="warning", message="no status.json: the run may not be over"))
            return
        emit(interrupted_end(status))


def interrupted_end(status: dict[str, Any]) -> ev.Finished:
    """The end a run's log never recorded (its process was killed), read from its status;
    marked source='view', since the viewer, not the run, says it."""
    return ev.Finished(
        status="interrupted",
        step=int(status.get("step") or 0),
        epoch=int(status.get("epoch") or 0),
        elapsed_s=0.0,
        best_metric=str(status.get("best_metric") or ""),
        best_value=status.get("best_value"),
        reason=f"the log ends without a final event (status: {status.get('status')})",
        source="view",
    )
