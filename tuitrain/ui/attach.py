"""The monitor attached to a run in another process (`tuitrain attach`).

Like a tmux client: `d` detaches and leaves the run training; `q` asks whether to stop the run
or just detach. Keys steer the run as they do in the monitor that started it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tuitrain.ui.app import MonitorApp
from tuitrain.ui.keys import MONITOR_KEYS, KeyAction, bindings

DETACH = KeyAction(
    "detach", "d", "detach", "close the monitor and leave the run training", essential=True
)


class StopOrDetach(ModalScreen[str | None]):
    """Quitting an attached monitor: stop the run, or leave it training."""

    BINDINGS: ClassVar = [
        Binding("y,s", "answer('stop')", "stop the run", priority=True),
        Binding("d,n,q", "answer('detach')", "detach", priority=True),
        Binding("escape", "answer(None)", "cancel", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text("Stop the run, or detach and leave it training?", style="bold"))
            yield Static("Stopping saves a checkpoint; resume it later with tuitrain resume.")
            yield Static(Text("y: stop the run    d / q: detach    esc: cancel", style="bold"))

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class AttachApp(MonitorApp):
    KEYS: ClassVar[tuple[KeyAction, ...]] = (*MONITOR_KEYS, DETACH)
    BINDINGS: ClassVar = [*MonitorApp.BINDINGS, *bindings([DETACH])]

    def action_detach(self) -> None:
        self._finish()

    async def action_quit(self) -> None:
        if isinstance(self.screen, StopOrDetach):
            self.screen.dismiss("detach")
            return
        if self.stop_sent:
            self._finish()  # asked twice: leave now; the run still stops on its own
            return
        if not (self.link.can_control and self.history.live):
            self._finish()
            return
        self.push_screen(StopOrDetach(), self._answered)

    def _answered(self, answer: str | None) -> None:
        if answer == "stop":
            self._stop_run()
        elif answer == "detach":
            self._finish()
        else:
            self.history.say("info", "still attached")
            self._redraw()
