"""The one-line bars that stay visible at every size: run status at the top, the latest
acknowledgement or warning at the bottom, and a banner when the run failed."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widgets import Static

from tuitrain import words
from tuitrain.engine import events as ev
from tuitrain.ui import glyphs
from tuitrain.ui.history import RunHistory
from tuitrain.ui.styles import FIT_STYLE, LEVEL_MARK, LEVEL_STYLE, STATUS_STYLE
from tuitrain.ui.widgets.base import HistoryView


def status_word(history: RunHistory) -> str:
    """The state in one word: the colour only repeats it."""
    outcome = history.outcome
    if isinstance(outcome, ev.Finished) and outcome.status in ("stopped", "interrupted"):
        return outcome.status.upper()
    return history.status.upper()


FIT_HELP = (
    "The header's fit badge is the verdict on the curves so far: fit OK; OVERFITTING "
    "(validation loss turned up while training loss kept falling); UNDERFITTING (training "
    "accuracy stuck below twice chance); DIVERGING, at once from the step reports (training "
    "loss 4x its lowest and above where it started, or not finite: lower the rate). gap is "
    "training minus validation accuracy in percentage points: +1.5 pts means training is "
    "1.5 points ahead."
)
"""What the `?` help says of the fit badge."""


class StatusBar(HistoryView):
    def __init__(
        self,
        history: RunHistory,
        label: str,
        read_only: Callable[[], bool] = lambda: False,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(history, id=id)
        self.label = label
        self.read_only = read_only
        """Asked at each draw: an attached run's link loses control when it disconnects."""

    def lines(self, width: int, height: int) -> list[Text]:
        h = self.history
        left = Text.assemble((f" {status_word(h)} ", STATUS_STYLE[h.status]))
        if self.read_only() and h.live:
            left.append(" read-only", style="bold")
        started = h.started
        parts = [started.preset_name if started else self.label]
        if started is not None:
            device = started.device_name or started.device
            if started.world_size > 1:
                device = f"{started.world_size}x {device}"
            parts.append(_device_memory(device, h.progress))
        left.append(" " + " · ".join(parts))
        right = self._fit()
        if started is not None and started.run_dir:
            # 3 cells for the separator, 1 to keep the fit verdict apart from the path.
            room = width - left.cell_len - right.cell_len - 4
            if room >= 12:
                left.append(" · " + glyphs.tail(started.run_dir, room), style="dim")
        gap = width - left.cell_len - right.cell_len
        if gap >= 1:
            left.append(" " * gap)
            left.append_text(right)
        return [left]

    def _fit(self) -> Text:
        fit, gap = self.history.fit
        if not fit:
            return Text()
        word = "fit OK" if fit == "ok" else fit.upper()
        text = Text.assemble((word, FIT_STYLE.get(fit, "bold")))
        if gap is not None:
            text.append(f" gap {words.points(gap)}", style="dim")
        return text


class NoticeLine(HistoryView):
    """The answer to the last key pressed, or the last warning; never scrolls away."""

    def lines(self, width: int, height: int) -> list[Text]:
        notice = self.history.notice
        if notice is None:
            return [Text(" press ? for help", style="dim")]
        text = Text.assemble((f" {LEVEL_MARK[notice.level]} ", LEVEL_STYLE[notice.level]))
        text.append(notice.text, style=LEVEL_STYLE[notice.level])
        return [text]


class FailureBanner(Static):
    """The error that ended the run, big enough not to be missed."""

    def show_failure(self, failed: ev.Failed | None) -> None:
        self.display = failed is not None
        if failed is None:
            return
        text = Text.assemble((" FAILED ", "bold reverse red"))
        text.append(f" {failed.error}", style="bold")
        step = f" at step {failed.step}" if failed.step is not None else ""
        text.append(f"{step}: {failed.message}")
        self.update(text)


def _device_memory(device: str, progress: ev.StepProgress | None) -> str:
    """The device and its memory in use: each rank's, up to four of them, else the most."""
    if progress is None:
        return device
    ranks = progress.rank_memory_mb
    if len(ranks) > 4:
        return f"{device} max {max(ranks) / 1024:.1f}G"
    if ranks:
        return f"{device} {'/'.join(f'{mb / 1024:.1f}' for mb in ranks)}G"
    memory = progress.memory_mb
    return f"{device} {memory / 1024:.1f}G" if memory else device
