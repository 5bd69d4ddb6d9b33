"""What the Samples, Layers and Classes screens share: a view of the run beside its curves.

A note line on top, a scrolling body under it, redrawn once a second and at a resize, only
when what it shows has changed; its own key or esc goes back to the curves. A screen says
what it shows (`state`) and how to draw it: text lines (`lines`), or widgets (`draw`).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tuitrain.ui.history import RunHistory


class RunScreen(Screen[None]):
    DEFAULT_CSS = """
    RunScreen .note { height: auto; padding: 0 1; color: $text-muted; }
    RunScreen #view-scroll { height: 1fr; }
    RunScreen #view-text { height: auto; padding: 0 1; }
    """

    def __init__(self, history: RunHistory, key_hint: str) -> None:
        super().__init__()
        self.history, self.key_hint = history, key_hint
        self._drawn: object = None

    def note(self) -> str:
        """The line on top: what the screen is and how to leave it."""
        raise NotImplementedError

    def state(self) -> object:
        """What the body shows: it is redrawn when this changes."""
        raise NotImplementedError

    def lines(self, width: int) -> list[str]:
        """The body as text lines of at most `width` columns (for screens of text)."""
        raise NotImplementedError

    def draw(self, body: VerticalScroll) -> None:
        """Fill the body; by default with `lines`."""
        body.query_one("#view-text", Static).update("\n".join(self.lines(self.text_width)))

    @property
    def text_width(self) -> int:
        return max(20, self.size.width - 2)

    def compose(self) -> ComposeResult:
        yield Static(self.note(), classes="note", markup=False)
        with VerticalScroll(id="view-scroll"):
            yield Static("", id="view-text", markup=False)

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw)

    def on_resize(self) -> None:
        self._drawn = None
        self.redraw()

    def action_close(self) -> None:
        self.dismiss(None)

    def redraw(self) -> None:
        state = (self.state(), self.size.width)
        if state == self._drawn:
            return
        self._drawn = state
        self.draw(self.query_one("#view-scroll", VerticalScroll))
