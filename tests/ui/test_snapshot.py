"""The main screen at 80x24, as text, against a reviewed copy in snapshots/.

Text rather than an SVG: the layout and every word are checked, and a change shows up as a
readable diff. After an intended change, rewrite the copy with
`TUITRAIN_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_snapshot.py` and review it with git diff.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text, settle, shows
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The log's clock times must not depend on the machine's time zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("TUITRAIN_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("utc")
async def test_main_screen_80x24() -> None:
    events = [
        *history_events(),
        ev.LRChanged(
            step=160,
            lr=0.05,
            previous=0.1,
            scale=0.5,
            source="key",
            reason="x0.5",
            time=1_800_000_016.0,
        ),
        ev.Warned(
            category="overfitting",
            message="val loss rose 3 times while train loss fell",
            step=165,
            time=1_800_000_016.5,
        ),
    ]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "q quit", "overfitting")
        await settle(pilot)
        check("main_80x24.txt", screen_text(app))
