"""The Classes screen: the latest validation's confusion matrix with class names (rows true,
columns predicted), its worst classes and most-confused pairs first. A matrix too wide for the
terminal is summarized to its worst classes, and the screen says so; every class's accuracy
follows below it (scroll with the arrows)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from tuitrain.engine import events as ev
from tuitrain.ui.history import RunHistory
from tuitrain.ui.run_screen import RunScreen

LABEL = 12
"""Width of the class names at the start of each matrix row."""
ACC = 6
"""Width of the accuracy column at its end."""
PAIRS = 5


def _acc(value: float | None) -> str:
    return "--" if value is None else f"{value:.0%}"


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def classes_text(counted: ev.ClassesCounted | None, width: int) -> list[str]:
    """The screen's lines: summary, worst classes, confused pairs, matrix, per-class list."""
    if counted is None:
        return ["no validation yet: the matrix appears after the first one"]
    names, matrix = counted.names, counted.matrix
    total = sum(map(sum, matrix))
    right = sum(matrix[i][i] for i in range(len(matrix)))
    worst = counted.worst_classes()
    lines = [
        f"validation at step {counted.step} (epoch {counted.epoch:g}) · {len(names)} classes · "
        f"{right}/{total} right",
        "worst: " + ", ".join(f"{names[c]} {_acc(counted.acc[c])}" for c in worst[:6]),
        "most confused: "
        + (
            ", ".join(f"{names[t]}→{names[p]} {n}" for t, p, n in counted.confused_pairs(PAIRS))
            or "none"
        ),
        "",
    ]
    lines += _matrix(counted, worst, width)
    lines += ["", "per-class accuracy, worst first:"]
    lines += [
        f"  {_short(names[c], LABEL):<{LABEL}} {_acc(counted.acc[c]):>5}  {sum(matrix[c])} images"
        for c in worst
    ]
    return [line[:width] for line in lines]


def _matrix(counted: ev.ClassesCounted, worst: list[int], width: int) -> list[str]:
    """The matrix, whole when its columns fit, else the worst classes' rows and columns.
    Columns are headed by class number; each row names its class after the same number."""
    names, matrix = counted.names, counted.matrix
    biggest = max((max(row) for row in matrix), default=0)
    cell = max(3, len(str(biggest)) + 1, len(str(len(names) - 1)) + 1)
    fits = max(1, (width - LABEL - ACC) // cell)
    shown = list(range(len(names)))
    lines = []
    if len(names) > fits:
        shown = sorted(worst[:fits])
        lines.append(
            f"summarized: the {len(shown)} worst of {len(names)} classes (their rows and "
            "columns); every class's accuracy is listed below"
        )
    digits = len(str(len(names) - 1))
    lines.append(
        "true→pred".ljust(LABEL) + "".join(f"{c:>{cell}}" for c in shown) + f"{'acc':>{ACC}}"
    )
    for t in shown:
        label = f"{t:>{digits}} {_short(names[t], LABEL - digits - 2)}"
        cells = "".join(f"{matrix[t][p]:>{cell}}" for p in shown)
        lines.append(f"{label:<{LABEL}}{cells}{_acc(counted.acc[t]):>{ACC}}")
    return lines


class ClassesScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("c,escape", "close", "close classes")]

    def __init__(self, history: RunHistory, key_hint: str = "c") -> None:
        super().__init__(history, key_hint)

    def note(self) -> str:
        return f"Classes · ↑↓ scroll · {self.key_hint} or esc returns to the curves"

    def state(self) -> object:
        return self.history.classes

    def lines(self, width: int) -> list[str]:
        return classes_text(self.history.classes, width)
