"""What the terminal shows, for assertions: the text, and the colours in use."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot


def _console(app: App) -> Console:
    width, height = app.size
    return Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )


def _frame(app: App) -> object:
    return app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)


def screen_text(app: App) -> str:
    """The whole screen as the user sees it, without colours, one line per row."""
    console = _console(app)
    console.print(_frame(app))
    return console.export_text(styles=False)


def screen_segments(app: App) -> list[Segment]:
    console = _console(app)
    return list(console.render(_frame(app)))


def screen_colors(app: App) -> set[Color]:
    colors: set[Color] = set()
    for segment in screen_segments(app):
        if segment.style is not None:
            colors.update(c for c in (segment.style.color, segment.style.bgcolor) if c)
    return colors


Cell = tuple[str, Style]


def screen_cells(app: App) -> list[list[Cell]]:
    """The screen as rows of (character, style) cells, for checking colours by position."""
    rows: list[list[Cell]] = []
    for line in Segment.split_lines(screen_segments(app)):
        row: list[Cell] = []
        for segment in line:
            if segment.control:
                continue
            style = segment.style or Style()
            row.extend((char, style) for char in segment.text)
        rows.append(row)
    return rows


def region_cells(app: App, region: Region) -> list[list[Cell]]:
    """The cells inside `region` (a widget's `content_region`, say)."""
    rows = screen_cells(app)[region.y : region.bottom]
    return [row[region.x : region.right] for row in rows]


def _default(color: Color | None) -> bool:
    return color is None or color.is_default


def legible(style: Style) -> bool:
    """Whether text in `style` stands out from its background. The terminal's own default
    foreground on its default background does; any other colour on itself does not."""
    fg, bg = style.color, style.bgcolor
    if _default(fg) and _default(bg):
        return True
    if _default(fg) or _default(bg):
        return True  # a set colour on the terminal's own: no way to tell, assume apart
    return fg != bg and fg.get_truecolor() != bg.get_truecolor()


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `condition` holds; fail with the screen shown if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met; screen:\n" + screen_text(pilot.app))
        await pilot.pause(0.05)


async def shows(pilot: Pilot, *words: str, timeout: float = 10.0) -> str:
    """Wait until every word is on screen; return the screen."""
    await until(pilot, lambda: all(w in screen_text(pilot.app) for w in words), timeout)
    return screen_text(pilot.app)


async def settle(pilot: Pilot, ticks: int = 3) -> None:
    """Let a few refreshes go by."""
    for _ in range(ticks):
        await pilot.pause(0.11)
        await asyncio.sleep(0)
