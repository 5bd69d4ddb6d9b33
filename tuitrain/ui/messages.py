"""Messages from the link's thread to the UI."""

from __future__ import annotations

from textual.message import Message


class EventsWaiting(Message):
    """The inbox holds events; posted (thread-safely) at most once until the UI drains it."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EventsWaiting)


class Detach(Message):
    """Close the monitor without stopping the run (posted when the terminal hangs up)."""
