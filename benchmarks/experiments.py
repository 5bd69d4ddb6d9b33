"""Proposed fixes to the monitor, applied as patches in the benchmark process only.

The benchmarks own no UI code; where a target is missed, the fix belongs to the UI's owner.
These patches let `--patch NAME` (ui.py, overhead.py) measure a proposed fix with the very
same measurement before anyone edits the UI. Each one names the function it stands in for.

  plot-columns   CurvePlot.draw: the epoch curves (train, val) get one point per plot column,
                 like the step curve, instead of every bucket (up to 2048 lines' worth).
  plot-1hz       HistoryPlot.show: a plot redraws at most once a second (text panels keep the
                 refresh rate); plot-5s: at most every 5 seconds.
  changed-only   HistoryView.show: a text panel refreshes only when its text changed.
  answer-now     MonitorApp._drain: when a drained event answers a command sent from this
                 monitor, redraw at once instead of at the next refresh tick.
  capacity-512   RunHistory.__init__: series keep 512 buckets, not 2048 (still more than two
                 points per column of a 250-column terminal); every redraw walks them all.
  switch-1ms     launch (before the monitor starts): sys.setswitchinterval(0.001), so the
                 training thread waits at most 1 ms, not 5, for the interpreter lock while the
                 UI thread draws.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any


def plot_columns() -> None:
    from tuitrain.ui.series import envelope
    from tuitrain.ui.widgets import plots

    def draw(self: Any, width: int, height: int) -> bool:
        steps, train, val = self._series()
        if not (len(steps) or len(train) or len(val)):
            return False
        plt = self.plt
        hi = max(1.0, *((s.x_range() or (0.0, 0.0))[1] for s in (steps, train, val)))
        detail = width >= plots.STEP_DETAIL[0] and height >= plots.STEP_DETAIL[1]
        room = max(1, width - 8) * 2
        if len(steps) and (detail or not len(train)):
            xs, ys = envelope(steps.columns(room, 0.0, hi))
            plt.plot(xs, [y * self.scale for y in ys], marker="braille", color="gray")
        for series, color, marker in ((train, "cyan", "hd"), (val, "yellow", "•")):
            if len(series):
                points = [(c.x, c.mean) for c in series.columns(room, 0.0, hi)]  # the change
                plt.plot(
                    [x for x, _ in points],
                    [y * self.scale for _, y in points],
                    marker=marker,
                    color=color,
                )
        self.markers(hi)
        plots.epoch_ticks(plt, hi, width)
        return True

    plots.CurvePlot.draw = draw  # type: ignore[method-assign]


def plot_every(seconds: float) -> Callable[[], None]:
    def patch() -> None:
        _plot_every(seconds)

    return patch


def _plot_every(seconds: float) -> None:
    from tuitrain.ui.widgets.plots import HistoryPlot

    original = HistoryPlot.show

    def show(self: Any) -> None:
        now = time.monotonic()
        if now - getattr(self, "_plotted_at", float("-inf")) >= seconds:
            self._plotted_at = now
            original(self)

    HistoryPlot.show = show  # type: ignore[method-assign]


def changed_only() -> None:
    from tuitrain.ui.widgets.base import HistoryView

    def show(self: Any) -> None:
        width, height = self.content_size
        if width > 0 and height > 0:
            shown = (width, height, [line.markup for line in self.lines(width, height)])
            if shown == getattr(self, "_shown", None):
                return
            self._shown = shown
        self.refresh()

    HistoryView.show = show  # type: ignore[method-assign]


def answer_now() -> None:
    from tuitrain.ui.app import MonitorApp

    original = MonitorApp._drain

    def drain(self: Any) -> None:
        waiting = set(self.history.pending)
        original(self)
        if waiting - set(self.history.pending):  # an answer arrived: show it now
            self._redraw()

    MonitorApp._drain = drain  # type: ignore[method-assign]


def capacity_512() -> None:
    from tuitrain.ui.history import RunHistory

    defaults = list(RunHistory.__init__.__defaults__ or ())
    RunHistory.__init__.__defaults__ = (512, *defaults[1:])


def switch_1ms() -> None:
    sys.setswitchinterval(0.001)


PATCHES: dict[str, Callable[[], None]] = {
    "plot-columns": plot_columns,
    "plot-1hz": plot_every(1.0),
    "plot-5s": plot_every(5.0),
    "changed-only": changed_only,
    "answer-now": answer_now,
    "capacity-512": capacity_512,
    "switch-1ms": switch_1ms,
}


def apply(names: Iterable[str]) -> list[str]:
    applied = []
    for name in names:
        if name not in PATCHES:
            raise SystemExit(f"unknown patch {name!r}; known: {', '.join(PATCHES)}")
        PATCHES[name]()
        applied.append(name)
    return applied
