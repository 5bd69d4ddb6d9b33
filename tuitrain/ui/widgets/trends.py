"""Sparklines of the recent steps and epochs: the curves' shape when there is no room to plot."""

from __future__ import annotations

from rich.text import Text

from tuitrain import words
from tuitrain.ui import glyphs
from tuitrain.ui.series import BucketSeries
from tuitrain.ui.widgets.base import HistoryView


def recent(series: BucketSeries) -> list[float | None]:
    return [y for _, y in series.means()]


class TrendsPanel(HistoryView):
    def lines(self, width: int, height: int) -> list[Text]:
        h = self.history
        rows = [
            ("loss", h.step_loss, words.number(h.step_loss.last), "cyan"),
            ("acc ", h.step_acc, words.percent(h.step_acc.last), "cyan"),
            ("val loss", h.val_loss, words.number(h.val_loss.last), "yellow"),
            ("val acc ", h.val_acc, words.percent(h.val_acc.last), "yellow"),
        ]
        label_width = max(len(r[0]) for r in rows) + 1
        value_width = max(len(r[2]) for r in rows) + 1
        room = width - label_width - value_width
        out = []
        for label, series, value, style in rows:
            text = Text.assemble((label.ljust(label_width), "dim"))
            text.append(glyphs.sparkline(recent(series), room).ljust(max(0, room)), style=style)
            text.append(value.rjust(value_width), style="bold")
            out.append(text)
        return out
