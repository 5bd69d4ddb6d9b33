"""The event log, newest first: LR changes, pauses, checkpoints, warnings, errors, refusals."""

from __future__ import annotations

import time

from rich.text import Text

from tuitrain.ui.styles import LEVEL_MARK, LEVEL_STYLE
from tuitrain.ui.widgets.base import HistoryView


class EventLog(HistoryView):
    def lines(self, width: int, height: int) -> list[Text]:
        entries = list(self.history.log)[-height:]
        rows = []
        for entry in reversed(entries):
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
            text = Text.assemble((f"{stamp} ", "dim"))
            style = LEVEL_STYLE[entry.level]
            text.append(f"{LEVEL_MARK[entry.level]} {entry.text}", style=style)
            rows.append(text)
        return rows or [Text("no events yet", style="dim")]
