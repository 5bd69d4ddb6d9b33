"""Hands events from the trainer's thread to the UI without ever making the trainer wait.

`put` runs on the emitting thread: it appends under a lock held for microseconds and wakes
the UI at most once until the UI drains. Step reports are droppable: when the UI falls
behind, the oldest ones go first (the curves lose detail, nothing else). Every other event
(epochs, warnings, errors, LR changes, pauses, checkpoints, the end of the run) is kept.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from tuitrain.engine.events import Event


class Inbox:
    def __init__(self, wake: Callable[[], object], max_droppable: int = 4096) -> None:
        self._wake = wake
        self._max_droppable = max_droppable
        self._lock = threading.Lock()
        self._events: deque[Event] = deque()
        self._droppable = 0
        self._woken = False
        self.dropped = 0
        """Droppable events discarded since the start."""

    def put(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)
            if event.droppable:
                self._droppable += 1
                if self._droppable > self._max_droppable:
                    self._drop_oldest_droppable()
            if self._woken:
                return
            self._woken = True
        self._wake()

    def _drop_oldest_droppable(self) -> None:
        for index, event in enumerate(self._events):
            if event.droppable:
                del self._events[index]
                self._droppable -= 1
                self.dropped += 1
                return

    def drain(self) -> list[Event]:
        """Everything queued, oldest first; the next `put` wakes the UI again."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
            self._droppable = 0
            self._woken = False
        return events
