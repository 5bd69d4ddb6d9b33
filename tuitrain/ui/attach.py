"""The monitor attached to a run in another process (`tuitrain attach`).

Like a tmux client: `d` detaches and leaves the run training. Every other key does what it
does in the monitor that started the run: `q` asks, and `q` (or `y`) again stops the run; the
question offers `d` to detach instead.
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

    # The keys of the local monitor's question (y, enter, q stop; n, esc keep training), and d.
    BINDINGS: ClassVar = [
        Binding("y,enter,q", "answer('stop')", "stop the run", priority=True),
        Binding("d", "answer('detach')", "detach", priority=True),
        Binding("n,escape", "answer(None)", "cancel", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text("Stop training and quit?", style="bold"))
            yield Static(
                "The run saves a checkpoint and ends; resume it later with tuitrain resume. "
                "To leave it training, detach."
            )
            yield Static(Text("y / q: stop    d: detach    n / esc: keep watching", style="bold"))

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class AttachApp(MonitorApp):
    KEYS: ClassVar[tuple[KeyAction, ...]] = (*MONITOR_KEYS, DETACH)
    BINDINGS: ClassVar = [*MonitorApp.BINDINGS, *bindings([DETACH])]
    STOP_REASON = "quit from tuitrain attach"

    def action_detach(self) -> None:
        self._finish()

    async def action_quit(self) -> None:
        if isinstance(self.screen, StopOrDetach):
            self.screen.dismiss("stop")  # q q stops, as in the monitor that started the run
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
