"""The range test's drawing, as a terminal of 80x24 shows it."""

from __future__ import annotations

import math

from tests.lrfind.test_suggest import sweep_curve
from tuitrain.cli_lrfind import format_table, summary
from tuitrain.lrfind.plot import LABEL, draw
from tuitrain.lrfind.suggest import DEFAULT_RULE, smooth, suggest
from tuitrain.lrfind.sweep import Sweep


def test_the_drawing_and_its_summary_fit_80x24_with_the_rate_marked() -> None:
    lrs, losses = sweep_curve()
    suggestions = suggest(lrs, losses)
    chosen = suggestions[DEFAULT_RULE]
    assert chosen.lr is not None
    lines = draw(lrs, losses, smooth(losses), chosen.lr, width=80, height=24 - 6)
    sweep = Sweep(lrs, losses, beta=0.9, stopped_early=True, seconds=1.5, device="cpu")
    shown = [*lines, *summary("default", sweep, suggestions, DEFAULT_RULE), "saved x.csv"]
    assert len(shown) <= 24 and all(len(line) <= 80 for line in shown)
    marker = lines[0].index("▼")
    span = math.log10(lrs[-1]) - math.log10(lrs[0])
    expected = LABEL + round((math.log10(chosen.lr) - math.log10(lrs[0])) / span * 71)
    assert marker == expected
    assert all(line[marker] in "│•·↑" for line in lines[1:-2])  # the line goes down the plot
    assert sum(line.count("•") + line.count("↑") for line in lines) >= 60  # the curve
    assert "1e-6" in lines[-1] and "1e-2" in lines[-1]
    assert f"--set optim.lr={chosen.lr:.2g}" in shown[-2]


def test_the_headless_table_marks_the_suggested_step() -> None:
    lrs, losses = sweep_curve()
    index = suggest(lrs, losses)[DEFAULT_RULE].index
    assert index is not None
    rows = format_table(lrs, losses, smooth(losses), index).splitlines()
    assert rows[0].split() == ["step", "lr", "loss", "smoothed"]
    marked = [row for row in rows if row.endswith("< suggested")]
    assert len(marked) == 1 and marked[0].split()[0] == str(index + 1)
    assert rows[-1].split()[0] == str(len(lrs)) and len(rows) <= 28
