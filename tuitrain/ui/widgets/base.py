"""A panel that renders lines of text from the run history."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tuitrain.ui.history import RunHistory


class HistoryView(Widget):
    """Subclasses implement `lines(width, height)`; each line is cut to the panel's width.
    Heights are fixed in the stylesheet, so drawing never changes the layout."""

    def __init__(self, history: RunHistory, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = history
        self._shown: tuple[int, int, list[str]] | None = None

    def show(self) -> None:
        """The history changed: refresh, but only when this panel's text did (a refresh costs
        the compositor far more than working out the lines)."""
        width, height = self.content_size
        if width > 0 and height > 0:
            shown = (width, height, [line.markup for line in self.lines(width, height)])
            if shown == self._shown:
                return
            self._shown = shown
        self.refresh()

    def lines(self, width: int, height: int) -> list[Text]:
        raise NotImplementedError

    def render(self) -> Text:
        width, height = self.content_size
        if width <= 0 or height <= 0:
            return Text()
        lines = self.lines(width, height)[:height]
        for line in lines:
            line.no_wrap = True
            line.truncate(width, overflow="ellipsis")
        return Text("\n", no_wrap=True).join(lines)


def labelled(label: str, value: str, value_style: str = "bold") -> Text:
    text = Text.assemble((f"{label} ", "dim"))
    text.append(value, style=value_style)
    return text
