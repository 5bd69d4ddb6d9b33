"""The event log, newest first: LR changes, pauses, checkpoints, warnings, errors, refusals.

It scrolls back (mouse wheel, PageUp/PageDown) over the whole kept log, and the answer to the
user's latest key stays pinned on its first line for a few seconds, so that epoch lines
arriving at once cannot push it out of sight before it was read.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import events
from textual.timer import Timer

from tuitrain.ui.history import LogEntry
from tuitrain.ui.styles import LEVEL_MARK, LEVEL_STYLE
from tuitrain.ui.widgets.base import HistoryView

PIN_S = 5.0
"""How long the answer to a key stays on the log's first line."""


class EventLog(HistoryView):
    back = 0
    """Lines scrolled back from the newest (0: the newest on top)."""
    _unpin: Timer | None = None
    _seen = 0

    def lines(self, width: int, height: int) -> list[Text]:
        log = list(self.history.log)
        if self.back:  # scrolled back: new lines must not move what the user is reading
            self.back += self.history.logged - self._seen
        self._seen = self.history.logged
        pinned = self._pinned(log, height)
        room = height - (1 if pinned is not None else 0)
        self.back = max(0, min(self.back, len(log) - room))
        end = len(log) - self.back
        rows = [_row(entry) for entry in reversed(log[max(0, end - room) : end])]
        if pinned is not None:
            rows.insert(0, _row(pinned, pin=True))
        self._say_where(len(log) - end)
        return rows or [Text("no events yet", style="dim")]

    def _pinned(self, log: list[LogEntry], height: int) -> LogEntry | None:
        """The latest answer to a key while it is fresh, where the log's top does not show it."""
        notice, noted = self.history.notice, self.history.noticed_at
        if notice is None or height < 2 or time.monotonic() - noted >= PIN_S:
            return None
        if self.back == 0 and log and log[-1] is notice:
            return None  # it is the newest line anyway
        if self._unpin is None:  # redraw when the pin is due to go, even if nothing else came
            self._unpin = self.set_timer(PIN_S - (time.monotonic() - noted) + 0.05, self._unpinned)
        return notice

    def _unpinned(self) -> None:
        self._unpin = None
        self.show()

    def _say_where(self, newer: int) -> None:
        box = self.parent
        if box is not None and hasattr(box, "border_subtitle"):
            box.border_subtitle = f"{newer} newer · PgDn" if newer else ""

    def scroll_lines(self, lines: int) -> None:
        """Positive: back to older lines; negative: towards the newest."""
        self.back = max(0, self.back + lines)
        self.show()

    def page(self) -> int:
        return max(1, self.content_size.height - 1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_lines(-1)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_lines(1)


def _row(entry: LogEntry, pin: bool = False) -> Text:
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
    text = Text.assemble((f"{stamp} ", "reverse" if pin else "dim"))
    text.append(f"{LEVEL_MARK[entry.level]} {entry.text}", style=LEVEL_STYLE[entry.level])
    return text
