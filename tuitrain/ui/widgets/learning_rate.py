"""The learning rate: its value large, who set it last, the schedule, and its history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits

from tuitrain import words
from tuitrain.ui import describe, glyphs
from tuitrain.ui.history import RunHistory
from tuitrain.ui.widgets.base import HistoryView, labelled
from tuitrain.ui.widgets.plots import LrPlot


def who_set(history: RunHistory) -> tuple[str, str]:
    """Who set the rate last, and when: ('by you (key)', 'at step 190 · scale ×0.25')."""
    lr = history.lr
    if lr.value is None:
        return "not known yet", ""
    when = f"at step {lr.step}" if lr.step is not None else ""
    if lr.by_user:
        scale = f" · ×{lr.scale:.3g}" if lr.scale != 1 else ""
        return f"by you ({lr.source})", when + scale
    if lr.source == "nan":
        return "by NaN roll-back", when
    return "by schedule", when


class LrDetails(HistoryView):
    def lines(self, width: int, height: int) -> list[Text]:
        h = self.history
        kind = describe.schedule_kind(h.preset) or "?"
        room = width - len(kind) - 7
        history = [c.mean for c in h.lr.series.columns(room)]
        who, when = who_set(h)
        rows = [
            Text(who, style="bold" if h.lr.by_user else ""),
            Text(when, style="dim"),
            labelled("sched", kind, "")
            + Text(" " + glyphs.sparkline(history, room, log=True), style="magenta"),
        ]
        if not self.big_value_shown():
            value = Text.assemble(("LR ", "dim"))
            value.append(f" {words.lr(h.lr.value)} ", style="bold reverse")
            rows.insert(0, value)
        return rows

    def big_value_shown(self) -> bool:
        parent = self.parent
        if parent is None:
            return False
        digits = parent.query(Digits)
        return bool(digits) and digits.first().display


class LrPanel(Vertical):
    """Big digits where there is room; the details below; a log-scale plot on tall screens."""

    def __init__(self, history: RunHistory, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = history

    def compose(self) -> ComposeResult:
        yield Digits("--", id="lr-digits")
        yield LrDetails(self.history, id="lr-details")
        plot = LrPlot(self.history, id="lr-plot")
        plot.border_title = "history, log scale"
        yield plot

    def show(self) -> None:
        # Digits draws a capital E as large as the figures; a small e looks like a stray mark.
        text = words.lr(self.history.lr.value).replace("e", "E")
        for digits in self.query(Digits):
            if digits.value != text:
                digits.update(text)
