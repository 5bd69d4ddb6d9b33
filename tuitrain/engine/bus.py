"""Delivers each event to every consumer, in order, on the thread that emits it."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable

from tuitrain.engine.events import Event, Warned

Consumer = Callable[[Event], None]


class EventBus:
    """Consumers must be quick and must not block: they run on the training thread.

    `lock` is held while an event is being delivered, so a consumer that registers a listener
    from another thread (the control server) can do so between two events, never during one.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._consumers: list[Consumer] = []
        self._broken: set[int] = set()

    def subscribe(self, consumer: Consumer) -> None:
        with self.lock:
            self._consumers.append(consumer)

    def emit(self, event: Event) -> None:
        with self.lock:
            for consumer in list(self._consumers):
                if id(consumer) not in self._broken:
                    self._deliver(consumer, event)

    def _deliver(self, consumer: Consumer, event: Event) -> None:
        # A broken consumer (a full disk under the run log, a closed pipe under the printer)
        # must not end a run worth hours: it is dropped, and the others are told why.
        try:
            consumer(event)
        except Exception as exc:
            self._broken.add(id(consumer))
            name = getattr(consumer, "__qualname__", type(consumer).__name__)
            message = f"{name} stopped receiving events: {type(exc).__name__}: {exc}"
            with contextlib.suppress(OSError, ValueError):  # stderr may be gone too
                print(f"tuitrain: warning: {message}", file=sys.stderr)
            warning = Warned(category="consumer", message=message)
            for other in list(self._consumers):
                if other is not consumer and id(other) not in self._broken:
                    self._deliver(other, warning)
