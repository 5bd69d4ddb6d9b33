"""The trainer thread's side of the control server: events in, numbered, and a wake-up.

`put` runs on the training thread for every event. It appends under a lock held for
microseconds and writes one byte to wake the server thread only when the server has not yet
been woken since it last drained; it never blocks (the wake socket is non-blocking, and a full
wake socket already means "wake up"). Everything else happens on the server thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque

from tuitrain.engine.events import Event

MAX_BACKLOG = 100_000
"""Events waiting for the server thread beyond which step reports are no longer kept."""


class EventFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: deque[tuple[int, Event]] = deque()
        self._next_seq = 0
        self._woken = False
        self.listening = False
        """Whether any client is subscribed; without one, step reports are not even queued."""
        self.closed = False
        self.overflowed = False
        self.wake_reader, self._wake_writer = socket.socketpair()
        self.wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)

    def put(self, event: Event) -> None:
        if self.closed or (event.droppable and not self.listening):
            return
        with self._lock:
            if event.droppable and len(self._events) >= MAX_BACKLOG:
                return
            if len(self._events) >= 2 * MAX_BACKLOG:
                # The server thread is stuck; its subscribers will be told they missed events.
                self.overflowed = True
                return
            self._events.append((self._next_seq, event))
            self._next_seq += 1
            if self._woken:
                return
            self._woken = True
        self.wake()

    def wake(self) -> None:
        # Full: a wake-up is already pending. Closed: the server is gone. Either way, done.
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def next_seq(self) -> int:
        """The number the next event will get."""
        with self._lock:
            return self._next_seq

    def take(self) -> list[tuple[int, Event]]:
        """Every event queued, oldest first; the next `put` wakes the server again."""
        # Drain the wake-ups first: one sent after this point announces events taken later.
        try:
            while self.wake_reader.recv(4096):
                pass
        except OSError:
            pass
        with self._lock:
            events = list(self._events)
            self._events.clear()
            self._woken = False
        return events

    def close(self) -> None:
        self.closed = True
        self.wake_reader.close()
        self._wake_writer.close()
