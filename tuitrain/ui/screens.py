"""The help screen and the quit confirmation: small modal screens, keyboard only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuitrain.ui.keys import KeyAction, display_keys
from tuitrain.ui.widgets.bars import FIT_HELP
from tuitrain.ui.widgets.plots import MARKER_LEGEND


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape,question_mark,q,enter", "dismiss", "close", show=False),
    ]

    def __init__(
        self, actions: Iterable[KeyAction], keys: dict[str, str], notes: list[str]
    ) -> None:
        super().__init__()
        self.actions = list(actions)
        self.keys = keys
        self.notes = notes

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for action in self.actions:
            key = self.keys.get(action.name, action.key)
            table.add_row(display_keys(key), action.help)
        table.add_row("ctrl+c", "same as quit")
        marks = Table.grid(padding=(0, 2))
        marks.add_column(style="bold", no_wrap=True)
        marks.add_column()
        for glyph, meaning in MARKER_LEGEND:
            marks.add_row(glyph, meaning)
        with VerticalScroll(id="help-box"):  # scrolls (arrow keys) where the screen is short
            yield Static(Text("tuitrain keys", style="bold"))
            yield Static(table)
            yield Static(
                Text("marks on the curves (a vertical line, its glyph on top)", style="bold")
            )
            yield Static(marks)
            yield Static(Text(FIT_HELP))
            for note in self.notes:
                yield Static(Text(note, style="dim"))
            yield Static(Text("esc or ? closes this help", style="dim"))

    # Escape, ?, q and enter close it: Screen.action_dismiss, with no result.


class ConfirmQuit(ModalScreen[bool]):
    """Quitting stops a run this monitor started: say so and ask once."""

    BINDINGS: ClassVar = [
        Binding("y,enter,q,ctrl+c", "answer(True)", "stop and quit", priority=True),
        Binding("n,escape", "answer(False)", "keep training", priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text("Stop training and quit?", style="bold"))
            yield Static(
                "The run saves a checkpoint and ends; resume it later with tuitrain resume."
            )
            yield Static(Text("y / q: stop and quit    n / esc: keep training", style="bold"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
