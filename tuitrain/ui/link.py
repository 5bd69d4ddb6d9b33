"""What the monitor is connected to: a run in this process, one elsewhere, or a run directory.

The monitor never touches a trainer directly. It receives events through `start(emit)` and sends
commands through `submit`. `emit` is called from a background thread; the monitor makes it
thread-safe. This module imports neither textual nor torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tuitrain.engine.commands import Command
from tuitrain.engine.events import Event


class RunLink(Protocol):
    can_control: bool
    """Whether commands reach a live run (False for a finished run opened with `view`)."""
    owns_run: bool
    """True when quitting the monitor ends the run (a run started by this process); False when
    the monitor only watches (attach, view): quitting then detaches."""
    label: str
    """Short description of where events come from, for the status panel."""

    def start(self, emit: Callable[[Event], None]) -> None:
        """Begin delivering events, history first, each through `emit`, from another thread."""

    def submit(self, command: Command) -> None:
        """Send a command; its outcome arrives later as an event carrying command.id."""

    def close(self) -> None:
        """Stop delivering events and release resources; never blocks for long."""
