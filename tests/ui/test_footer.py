"""The key footer: every key in view at any width, in the order of the key table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text, settle, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.attach import AttachApp

MONITOR = ["p", "l", "L", "s", "v", "?", "q"]


def footer(app: MonitorApp) -> list[str]:
    return screen_text(app).splitlines()[-1].split()


def keys_in(words: list[str], keys: list[str]) -> list[int]:
    """Where each key stands among the footer's words (a KeyError if one is missing)."""
    return [words.index(key) for key in keys]


@pytest.mark.parametrize(
    ("app_class", "keys", "labels"),
    [
        (MonitorApp, MONITOR, ["q quit", "? help", "p pause"]),
        (AttachApp, [*MONITOR, "d"], ["q quit", "d detach", "? help"]),
    ],
)
async def test_every_key_fits_a_40_column_footer(
    app_class: type[MonitorApp], keys: list[str], labels: list[str]
) -> None:
    app = app_class(ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(40, 12)) as pilot:
        await shows(pilot, "RUNNING")
        await settle(pilot)
        line = screen_text(app).splitlines()[-1]
        words = footer(app)
    positions = keys_in(words, keys)
    assert positions == sorted(positions), line
    for label in labels:
        assert label in line, line


async def test_a_remapped_key_keeps_its_place_in_the_footer(tmp_path: Path) -> None:
    settings = tmp_path / "keys.toml"
    settings.write_text('pause = "space"\nhelp = "h"\n')
    app = AttachApp(
        ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "test", keys_path=settings
    )
    expected = ["space", "l", "L", "s", "v", "h", "q", "d"]
    async with app.run_test(size=(100, 24)) as pilot:
        await shows(pilot, "RUNNING", "space pause")
        await settle(pilot)
        line = screen_text(app).splitlines()[-1]
        assert line.startswith("space pause l LR↓"), line
        assert "h help q quit d detach" in line, line
        await pilot.resize_terminal(40, 12)
        await until(pilot, lambda: "LR↓" not in screen_text(app).splitlines()[-1])
        await settle(pilot)
        words = footer(app)
    positions = keys_in(words, expected)
    assert positions == sorted(positions), words
    assert words[words.index("q") + 1] == "quit", words


async def test_labels_come_back_when_the_terminal_widens() -> None:
    app = MonitorApp(ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(40, 12)) as pilot:
        await shows(pilot, "RUNNING", "q quit")
        await pilot.resize_terminal(80, 24)
        await shows(pilot, "s save v validate ? help q quit")
