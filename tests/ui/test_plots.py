"""The loss and accuracy plots: readable in every theme, and a legend that tells the truth."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.ui.fakes import ScriptedLink, diverging_events, history_events
from tests.ui.screen import legible, region_cells, screen_cells, settle, shows
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp

FRAME = set("┌┐└┘─│┤├┬┴┼")
TICK = set("0123456789.-+e%")
CURVE = set("•▀▄▌▐▖▗▘▝▚▞▙▛▜▟█")


def make_app() -> MonitorApp:
    return MonitorApp(ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "test")


@pytest.mark.parametrize(
    ("term", "theme"), [("screen-16color", "ansi-dark"), ("xterm-256color", "textual-dark")]
)
async def test_frames_ticks_and_legend_read_in_every_theme(
    monkeypatch: pytest.MonkeyPatch, term: str, theme: str
) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "• val")
        await settle(pilot)
        assert app.theme == theme
        for plot_id in ("#loss-plot", "#acc-plot"):
            plot = app.query_one(plot_id)
            cells = [cell for row in region_cells(app, plot.content_region) for cell in row]
            frame = [style for char, style in cells if char in FRAME | TICK]
            assert len(frame) > 40, "no frame drawn"
            unreadable = [style for style in frame if not legible(style)]
            assert not unreadable, f"{plot_id}: {unreadable[0]}"

            points = {style.color for char, style in cells if char == "•"}
            assert len(points) == 1, points
            region = plot.region
            title_row = screen_cells(app)[region.y][region.x : region.right]
            title = "".join(char for char, _ in title_row)
            legend = title_row[title.index("• val")][1].color
            assert points == {legend}, f"{plot_id}: legend {legend}, points {points}"


async def test_a_diverging_loss_keeps_short_ticks_and_room_for_the_curve() -> None:
    app = MonitorApp(
        ScriptedLink(diverging_events(top=1.4e19)), MonitorSettings(refresh_hz=10), "test"
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "• val")
        await settle(pilot)
        plot = app.query_one("#loss-plot")
        lines = ["".join(char for char, _ in row) for row in region_cells(app, plot.content_region)]
    framed = [line for line in lines if "┤" in line or "│" in line]
    assert len(framed) >= 4, "\n".join(lines)
    labels = [line[: line.index("┤")].strip() for line in framed if "┤" in line]
    assert len(labels) >= 2, "\n".join(lines)
    assert all(len(label) <= 7 for label in labels), labels
    canvas = "".join(line[line.index(next(c for c in line if c in "┤│")) :] for line in framed)
    drawn = [char for char in canvas if char in CURVE or "\u2800" < char <= "\u28ff"]
    assert len(drawn) >= 30, "\n".join(lines)
    assert min(line.find("┌") for line in lines if "┌" in line) <= 8, "\n".join(lines)


async def test_zero_step_losses_keep_the_log_axis_of_a_diverging_loss() -> None:
    # Some batches fitted exactly (loss 0) while the run diverged to 1e19: the axis stays
    # logarithmic, labelled in decades, and the zeros sit on its floor instead of a 0 tick.
    events = [
        replace(e, loss=0.0) if isinstance(e, ev.StepProgress) and e.step % 7 == 0 else e
        for e in diverging_events(top=1.4e19)
    ]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "• val")
        await settle(pilot)
        plot = app.query_one("#loss-plot")
        lines = ["".join(char for char, _ in row) for row in region_cells(app, plot.content_region)]
    labels = [line[: line.index("┤")].strip() for line in lines if "┤" in line]
    assert len(labels) >= 3, "\n".join(lines)
    assert all(re.fullmatch(r"1e-?\d+|0\.0*1|1|10+", label) for label in labels), labels


async def test_each_mark_on_the_curves_has_its_own_glyph_and_the_help_explains_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # the glyphs, not the colours, must tell them apart
    events = [
        *history_events(),
        ev.LRChanged(step=60, lr=0.05, previous=0.1, scale=0.5, source="key", reason="x0.5"),
        ev.Paused(step=110, source="key"),
        ev.Resumed(step=110, source="key", paused_s=2.0),
        ev.CheckpointSaved(
            step=140, epoch=3, path="runs/demo/checkpoints/last.pt", reason="user", seconds=0.1
        ),
    ]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "• val")
        await settle(pilot)
        plot = app.query_one("#loss-plot")
        drawn = "".join(char for row in region_cells(app, plot.content_region) for char, _ in row)
        assert {"↓", "P", "S"} <= set(drawn), drawn
        await pilot.press("question_mark")
        await shows(pilot, "marks on the curves")
        await pilot.resize_terminal(100, 40)  # all of the help in sight
        await settle(pilot)
        box = app.screen.query_one("#help-box").content_region
        help_text = "\n".join("".join(c for c, _ in row) for row in region_cells(app, box))
    for glyph, meaning in (("↓ ↑", "learning rate"), ("P", "paused"), ("S", "checkpoint")):
        assert re.search(rf"{re.escape(glyph)}\s+[^\n]*{meaning}", help_text), help_text
    assert "gap is training minus validation accuracy" in " ".join(help_text.split())


def test_the_readme_explains_every_mark_and_the_fit_badge() -> None:
    from pathlib import Path

    from tuitrain.ui.widgets.plots import MARKER_LEGEND

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for glyphs, _ in MARKER_LEGEND:
        for glyph in glyphs.split():
            assert f"`{glyph}`" in readme, glyph
    assert "`gap +1.5 pts` is training minus validation accuracy" in " ".join(readme.split())
