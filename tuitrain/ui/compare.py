"""`tuitrain compare`: several runs' epoch curves overlaid, and a table of their best results.

Runs are read once from their events.jsonl (a snapshot: a run still going is compared as it
stands). Step reports are skipped unparsed, since only the epoch curves are drawn, so even a
long run's log loads quickly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from tuitrain import words
from tuitrain.runs.files import EVENTS
from tuitrain.runs.reader import DamagedLines, read_history
from tuitrain.runs.status import LIVE, read_status
from tuitrain.ui import describe
from tuitrain.ui.history import RunHistory
from tuitrain.ui.replay import interrupted_end
from tuitrain.ui.widgets.bars import status_word
from tuitrain.ui.widgets.plots import MIN_HEIGHT, MIN_WIDTH, epoch_ticks

COLORS = ("cyan", "yellow", "magenta", "green", "red", "blue", "white")
MARKS = ("•", "x", "+", "o", "*", "#", "@")
"""One mark per run as well as a colour, so the curves are told apart under NO_COLOR."""


@dataclass
class ComparedRun:
    path: Path
    name: str
    history: RunHistory
    index: int = 0
    damaged: str = ""
    """What was skipped of its events.jsonl, when lines there were not events."""

    @property
    def color(self) -> str:
        return COLORS[self.index % len(COLORS)]

    @property
    def mark(self) -> str:
        return MARKS[self.index % len(MARKS)]

    def best_val_acc(self) -> tuple[float | None, float | None]:
        """(best validation accuracy, the epoch it was reached at)."""
        points = self.history.val_acc.means()
        if not points:
            return None, None
        epoch, value = max(points, key=lambda point: point[1])
        return value, epoch


def load_run(path: Path, index: int = 0) -> ComparedRun:
    history = RunHistory()
    damaged = DamagedLines()
    for event in read_history(path / EVENTS, steps=False, damaged=damaged):  # epochs only
        history.ingest(event)
    status = read_status(path)
    if history.outcome is None and status.get("status") not in LIVE | {"unknown"}:
        history.ingest(interrupted_end(status))  # killed: its log never said so
    said = damaged.message(path / EVENTS) if damaged.count else ""
    return ComparedRun(path, short_name(path.name), history, index, said)


def short_name(name: str) -> str:
    """A run directory without its timestamp: `20261127-181500-adam` is `adam`."""
    return re.sub(r"^\d{8}-\d{6}-", "", name) or name


def unique_names(runs: list[ComparedRun]) -> None:
    names = [run.name for run in runs]
    for run in runs:
        if names.count(run.name) > 1:
            run.name = run.path.name


class ComparePlot(PlotextPlot):
    """One metric, one curve per run (validation; training too when asked)."""

    def __init__(self, runs: list[ComparedRun], metric: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs = runs
        self.metric = metric
        self.with_train = False

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text(f"{self.metric}: needs more room", style="dim")
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        scale = 100.0 if self.metric == "acc" else 1.0
        hi = 1.0
        for run in self.runs:
            h = run.history
            pairs = (
                [(h.val_acc, "val"), (h.train_acc, "train")]
                if self.metric == "acc"
                else [(h.val_loss, "val"), (h.train_loss, "train")]
            )
            for series, kind in pairs:
                points = series.means()
                if not points or (kind == "train" and not self.with_train):
                    continue
                hi = max(hi, points[-1][0])
                plt.plot(
                    [x for x, _ in points],
                    [y * scale for _, y in points],
                    marker=run.mark if kind == "val" else "braille",
                    color=run.color,
                )
        epoch_ticks(plt, hi, width)
        try:
            return super().render()
        except Exception as exc:  # plotext raises on sizes it cannot lay out
            self.log.warning(f"compare plot fell back to text: {exc!r}")
            return Text(f"{self.metric}: cannot draw at this size", style="dim")


class CompareApp(App[int]):
    CSS = """
    Screen { overflow: hidden; }
    #legend { height: auto; max-height: 3; padding: 0 1; }
    #plots { height: 1fr; min-height: 8; }
    ComparePlot { width: 1fr; height: 1fr; border: round $primary 60%; }
    DataTable { height: auto; max-height: 14; scrollbar-size-horizontal: 0; }
    """
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar = [
        Binding("t", "toggle_train", "train curves"),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", show=False, priority=True),
    ]

    def __init__(self, runs: list[ComparedRun], title: str = "tuitrain compare") -> None:
        super().__init__()
        self.runs = runs
        self.title = title

    def compose(self) -> ComposeResult:
        yield Static(self._legend(), id="legend")
        with Horizontal(id="plots"):
            yield ComparePlot(self.runs, "acc", id="acc")
            yield ComparePlot(self.runs, "loss", id="loss")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#acc").border_title = "validation accuracy %"
        self.query_one("#loss").border_title = "validation loss"
        for plot in self.query(ComparePlot):
            plot.border_subtitle = "epoch"
        self._fill_table()

    def _legend(self) -> Text:
        text = Text()
        for run in self.runs:
            text.append(f"{run.mark} {run.name}", style=f"bold {run.color}")
            text.append("   ")
        text.append("(t: training curves too, drawn in fine dots)", style="dim")
        for run in self.runs:
            if run.damaged:
                text.append(f"\n{run.name}: {run.damaged}", style="bold yellow")
        return text

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        # Results first, then the setup on two lines of its own column, so that every column
        # fits a 120-column terminal: a table wider than the screen is cut at its right edge.
        table.add_columns(
            "run", "best val acc", "at epoch", "train / val loss", "epochs", "status", "setup"
        )
        for run in self.runs:
            h = run.history
            best, at = run.best_val_acc()
            last = h.last_epoch
            preset = h.preset
            name = h.started.preset_name if h.started else "?"
            losses = f"{words.loss(last.train_loss if last else None)} / "
            losses += words.loss(last.val_loss if last else None)
            setup = (
                f"{name} · {describe.optimizer(preset, scale=h.lr.scale)}\n"  # your scale too
                f"{describe.normalization(preset)}"
            )
            table.add_row(
                Text(f"{run.mark} {run.name}", style=run.color),
                Text(words.percent(best), style="bold"),
                f"{at:g}" if at is not None else "--",
                losses,
                f"{last.epoch}/{last.epochs}" if last else "0",
                status_word(h),
                setup,
                height=2,
            )

    def action_toggle_train(self) -> None:
        for plot in self.query(ComparePlot):
            plot.with_train = not plot.with_train
            plot.refresh()
        for plot, title in zip(self.query(ComparePlot), ("accuracy %", "loss"), strict=True):
            prefix = "train and validation" if plot.with_train else "validation"
            plot.border_title = f"{prefix} {title}"
