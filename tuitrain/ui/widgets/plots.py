"""Loss, accuracy and learning-rate plots (plotext through textual-plotext).

The data is cut down to the plot's width in `render` (min and max per column, so spikes
survive), so drawing costs the same after a thousand steps or a million, and a resize simply
draws again. Plotext can fail on odd sizes; a plot then falls back to a line of text rather
than taking the monitor down.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from plotext._utility import get_labels, get_lim, get_matrix_data, linspace
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tuitrain import words
from tuitrain.ui import glyphs
from tuitrain.ui.history import RunHistory
from tuitrain.ui.series import BucketSeries, envelope

MIN_WIDTH, MIN_HEIGHT = 20, 6
"""Below this a plot says so instead of drawing an unreadable frame."""
STEP_DETAIL = (30, 6)
"""Room needed before the per-step curve is drawn under the epoch curves."""
# Colours are plotext's names for the 16 terminal colours (its "orange" is the terminal's
# yellow; a name plotext does not know, such as "yellow", silently becomes the next colour of
# its default sequence). Textual renders these ANSI colours the way it renders the same colours
# anywhere else on screen, so the legends name them by their Textual ANSI names (ANSI_NAME).
STEP_COLOR, TRAIN_COLOR, VAL_COLOR = "gray", "cyan", "orange"
ANSI_NAME = {"gray": "ansi_bright_black", "cyan": "ansi_cyan", "orange": "ansi_yellow"}
MARKER_COLOR = {"lr": "magenta", "pause": "orange", "checkpoint": "green", "nan": "red"}
MARKER_LEGEND = (
    ("↓ ↑", "the learning rate lowered / raised (by you, the schedule or a NaN roll-back)"),
    ("P", "paused"),
    ("S", "a checkpoint you asked for (s, ctl, SIGUSR1)"),
    ("!", "a NaN or infinite loss (rolled back)"),
    ("V", "a validation you asked for"),
)
"""The glyph on top of each vertical line on the curves, as the `?` help explains it."""
MAX_MARKERS = 12
Y_TICKS = 7
"""How many y ticks plotext spreads over a linear axis (as many as fit are labelled)."""
TICK_WIDTH = 6
"""The widest y tick label: a diverging loss (1e19) must not squeeze the plot."""
LOG_DECADES = 3.0
"""A loss plot whose data spans more powers of ten than this gets a log y axis."""


class HistoryPlot(PlotextPlot):
    def __init__(self, history: RunHistory, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # No colours of its own for the frame and ticks: they are drawn in the widget's own
        # text colour on its background, legible in every Textual theme. (The "auto" theme
        # draws them in the theme's surface and foreground, black on black under ansi-dark.)
        self.theme = "clear"
        self.history = history
        self._drawn_at = float("-inf")
        self._drawn_milestones = -1

    def show(self, every_s: float = 0.0) -> None:
        """Redraw when a milestone (epoch, validation, LR change, ...) arrived, else at most
        every `every_s`: laying out a plot is the monitor's dearest work."""
        now = time.monotonic()
        milestone = self.history.milestones != self._drawn_milestones
        if milestone or now - self._drawn_at >= every_s:
            self._drawn_at, self._drawn_milestones = now, self.history.milestones
            self.refresh()

    def draw(self, width: int, height: int) -> bool:
        """Put the data into self.plt; False when there is nothing to plot yet."""
        raise NotImplementedError

    def fallback(self, width: int) -> Text:
        return Text("waiting for data…", style="dim")

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return self._one_line(width)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        try:
            if not self.draw(width, height):
                return self._one_line(width)
            return super().render()
        except Exception as exc:  # plotext raises on sizes and ranges it cannot lay out
            self.log.warning(f"plot fell back to text: {exc!r}")
            return self._one_line(width)

    def _one_line(self, width: int) -> Text:
        text = self.fallback(width)
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis")
        return text


class CurvePlot(HistoryPlot):
    """Training and validation curves of one metric over epochs, with markers.

    The three curves differ in their marks as well as their colours (braille dots for steps,
    blocks for training epochs, bullets for validation), so they read under NO_COLOR too.
    """

    LEGEND = (
        f"[{ANSI_NAME[STEP_COLOR]}]⣀ step[/] [{ANSI_NAME[TRAIN_COLOR]}]▀ train[/] "
        f"[{ANSI_NAME[VAL_COLOR]}]• val[/]"
    )

    def __init__(self, history: RunHistory, metric: str, *, id: str | None = None) -> None:
        super().__init__(history, id=id)
        self.metric = metric
        self.scale = 100.0 if metric == "acc" else 1.0
        self.value_text: Callable[[float | None], str] = (
            words.percent if metric == "acc" else words.number
        )

    def _series(self) -> tuple[BucketSeries, BucketSeries, BucketSeries]:
        h = self.history
        if self.metric == "acc":
            return h.step_acc, h.train_acc, h.val_acc
        return h.step_loss, h.train_loss, h.val_loss

    def draw(self, width: int, height: int) -> bool:
        steps, train, val = self._series()
        if not (len(steps) or len(train) or len(val)):
            return False
        plt = self.plt
        hi = max(1.0, *((s.x_range() or (0.0, 0.0))[1] for s in (steps, train, val)))
        detail = width >= STEP_DETAIL[0] and height >= STEP_DETAIL[1]
        room = max(1, width - 8) * 2  # braille: two points per character cell
        curves: list[tuple[list[float], list[float], str, str]] = []
        if len(steps) and (detail or not len(train)):
            xs, ys = envelope(steps.columns(room, 0.0, hi))
            curves.append((xs, [y * self.scale for y in ys], "braille", STEP_COLOR))
        for series, color, marker in ((train, TRAIN_COLOR, "hd"), (val, VAL_COLOR, "•")):
            if len(series):
                # One point per column: a redraw costs the same after a thousand epochs.
                points = series.columns(room, 0.0, hi)
                curves.append(
                    ([c.x for c in points], [c.mean * self.scale for c in points], marker, color)
                )
        # Zeros (a batch fitted exactly) have no logarithm: they sit at the smallest positive
        # value shown instead of turning the log axis off under a diverging curve.
        positive = [y for _, curve, _, _ in curves for y in curve if 0 < y < math.inf]
        log = self.metric == "loss" and spans_decades(positive, LOG_DECADES)
        if log:
            floor = min(positive)
            curves = [
                (xs, [math.log10(max(y, floor)) for y in ys], m, c) for xs, ys, m, c in curves
            ]
        for xs, curve, marker, color in curves:
            plt.plot(xs, curve, marker=marker, color=color)
        plotted = [y for _, curve, _, _ in curves for y in curve]
        if log:
            log_ticks(plt, plotted, height)
        else:
            linear_ticks(plt, plotted, height)
        self.markers(hi, max(plotted, default=0.0))
        epoch_ticks(plt, hi, width)
        return True

    def markers(self, hi: float, top: float) -> None:
        """A vertical line per intervention, its glyph on top (↓ ↑ P S ! V): the colours tell
        them apart, the glyphs do too under NO_COLOR. The `?` help explains them."""
        shown = [m for m in self.history.markers if 0 <= m.x <= hi][-MAX_MARKERS:]
        for marker in shown:
            color = MARKER_COLOR.get(marker.kind, "white")
            self.plt.vertical_line(marker.x, color=color)
            self.plt.text(marker.label, marker.x, top, color=color, alignment="center")

    def fallback(self, width: int) -> Text:
        steps, train, val = self._series()
        if not (len(steps) or len(train) or len(val)):
            return Text("waiting for the first steps…", style="dim")
        text = Text.assemble((f"{self.metric} ", "dim"))
        spark = glyphs.sparkline([y for _, y in steps.means()], max(0, width - 16))
        text.append(spark, style="cyan")
        text.append(f" {self.value_text(steps.last if len(steps) else train.last)}", style="bold")
        if len(val):
            text.append(f" val {self.value_text(val.last)}", style="yellow")
        return text


def epoch_ticks(plt: Plot, hi: float, width: int) -> None:
    """Whole epochs on the x axis, as many as fit; plotext's own ticks land on fractions."""
    plt.xlim(0, hi)
    room = max(2, (width - 6) // 7)
    for spacing in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000):
        if hi / spacing <= room:
            break
    ticks: list[float] = list(range(0, int(hi) + 1, spacing))  # ints, as plotext lays them out
    plt.xticks(ticks, [str(t) for t in ticks])


def spans_decades(values: list[float], decades: float) -> bool:
    """Whether positive `values` range over more than `decades` powers of ten."""
    low, high = min(values, default=0.0), max(values, default=0.0)
    return low > 0 and math.log10(high / low) > decades


def linear_ticks(plt: Plot, values: list[float], height: int) -> None:
    """Plotext's own y ticks (evenly spread over the data) with labels that stay short.

    Where ticks share a canvas row only the last is kept, the one plotext would have drawn
    over the others: given explicit ticks it shuffles them, and the label on a shared row
    would change from one run to the next.
    """
    low, high = get_lim(values)
    ticks = linspace(low, high, Y_TICKS)
    rows = get_matrix_data(ticks, [low, high], canvas_rows(height))
    last = {row: i for i, row in enumerate(rows)}
    kept = [ticks[i] for i in sorted(last.values())]
    labels = tick_labels(ticks)
    plt.yticks(kept, [labels[i] for i in sorted(last.values())])


def canvas_rows(height: int) -> int:
    """The rows plotext draws data on: the height less the frame and the x labels."""
    return max(2, height - 3)


def log_ticks(plt: Plot, logs: list[float], height: int) -> None:
    """Ticks on whole decades of log10-scaled data, labelled with the values themselves (`0.01`,
    `1`, `1e6`): every decade where there are rows for them, else every second, third...,
    so that no two ticks share a row."""
    low, high = min(logs), max(logs)
    rows = canvas_rows(height)
    every = max(1, math.ceil((high - low) / (rows - 1)))
    decades = range(math.ceil(low), math.floor(high) + 1)
    ticks = [d for d in decades if d % every == 0] or [math.ceil(low)]
    plt.yticks([float(d) for d in ticks], [decade_label(d) for d in ticks])


def decade_label(exponent: int) -> str:
    return f"{10.0**exponent:g}" if -3 <= exponent <= 3 else f"1e{exponent}"


def tick_labels(ticks: list[float], width: int = TICK_WIDTH) -> list[str]:
    """At most `width` characters each: plotext's labels where they fit (as many decimals as
    it takes to tell the ticks apart: `2.24`, `0.045`), else scientific (`1.4e19`)."""
    labels: list[str] = get_labels(ticks)
    if all(len(label) <= width for label in labels):
        return labels
    # The most digits that fit; fewer only where they tell more ticks apart.
    fitting = [
        labels
        for labels in ([scientific(t, digits) for t in ticks] for digits in (2, 1, 0))
        if all(len(label) <= width for label in labels)
    ]
    shortest = [scientific(t, 0) for t in ticks]
    return max(fitting, key=lambda labels: len(set(labels)), default=shortest)


def scientific(value: float, digits: int) -> str:
    """`1.4e19`, `-3e-7`: no plus sign, no leading zeros in the exponent, no trailing zeros."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


class LrPlot(HistoryPlot):
    """The learning rate over epochs on a log scale, with the user's changes marked.

    log10 of the rate is plotted on a linear axis labelled with the rates themselves: plotext's
    own log axis labels its ticks poorly in small plots.
    """

    def draw(self, width: int, height: int) -> bool:
        series = self.history.lr.series
        if not len(series):
            return False
        plt = self.plt
        hi = max(1.0, (series.x_range() or (0.0, 1.0))[1])
        columns = [c for c in series.columns(max(1, width - 10) * 2, 0.0, hi) if c.low > 0]
        if not columns:
            return False
        xs, ys = envelope(columns)
        logs = [math.log10(y) for y in ys]
        plt.plot(xs, logs, marker="braille", color="magenta")
        low, high = min(logs), max(logs)
        if high - low < 0.3:
            low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
        plt.ylim(low, high)
        ticks = _decade_ticks(low, high)
        plt.yticks(ticks, [words.lr(10**t) for t in ticks])
        for marker in [m for m in self.history.markers if m.kind == "lr"][-MAX_MARKERS:]:
            plt.vertical_line(marker.x, color="magenta")
        epoch_ticks(plt, hi, width)
        return True


def _decade_ticks(low: float, high: float) -> list[float]:
    """Whole decades in range, or the ends and middle when the range is under a decade."""
    decades = list(range(math.ceil(low), math.floor(high) + 1))
    if len(decades) >= 2:
        return [float(d) for d in decades]
    return [low, (low + high) / 2, high]
