"""What a monitor's `emit` receives, collected from whichever threads send it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tuitrain.engine import events as ev


class Collector:
    """An `emit` callable that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: ev.Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(
        self, found: Callable[[ev.Event], bool], what: str = "the event", timeout: float = 30.0
    ) -> ev.Event:
        """The first event `found` accepts, waiting up to `timeout` seconds for it."""
        with self._cond:
            if not self._cond.wait_for(lambda: any(map(found, self.events)), timeout):
                raise AssertionError(f"{what}: not within {timeout} s; last: {self.events[-3:]}")
            return next(event for event in self.events if found(event))
