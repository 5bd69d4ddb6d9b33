"""The Events panel: room to read, scrolling back, a key's answer kept in sight, short paths."""

from __future__ import annotations

import pytest

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text, settle, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp


def make_app(link: ScriptedLink) -> MonitorApp:
    return MonitorApp(link, MonitorSettings(refresh_hz=10), "test")


def events_panel(app: MonitorApp) -> list[str]:
    """The lines inside the Events panel's border."""
    box = app.query_one("#events-box")
    lines = screen_text(app).splitlines()[box.region.y : box.region.bottom]
    return [line.strip("│ ") for line in lines[1:-1]]


def chatter(count: int, word: str = "note") -> list[ev.Event]:
    return [ev.Log(message=f"{word} {i}", time=1_800_000_100.0 + i) for i in range(count)]


@pytest.mark.parametrize(("size", "lines"), [((100, 30), 5), ((120, 36), 7)])
async def test_the_log_has_room_where_the_terminal_has_it(
    size: tuple[int, int], lines: int
) -> None:
    app = make_app(ScriptedLink([*history_events(), *chatter(20)]))
    async with app.run_test(size=size) as pilot:
        await shows(pilot, "RUNNING", "note 19")
        await settle(pilot)
        shown = events_panel(app)
    assert len(shown) >= lines, shown
    assert all("note" in line for line in shown[:lines]), shown


async def test_the_log_scrolls_back_with_page_keys() -> None:
    link = ScriptedLink([*history_events(), *chatter(30)])
    app = make_app(link)
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "note 29")
        await pilot.press("pageup")
        await until(pilot, lambda: "note 29" not in "\n".join(events_panel(app)))
        older = events_panel(app)
        assert any("note 2" in line for line in older), older
        assert "newer · PgDn" in screen_text(app)
        link.send(*chatter(3, "later"))  # new lines do not move what is being read
        await settle(pilot)
        assert events_panel(app) == older
        for _ in range(20):
            await pilot.press("pageup")  # past the oldest line: it stops there
        await until(pilot, lambda: any("started" in line for line in events_panel(app)))
        for _ in range(20):
            await pilot.press("pagedown")
        await until(pilot, lambda: "later 2" in events_panel(app)[0])
        assert "newer · PgDn" not in screen_text(app)


async def test_a_keys_answer_stays_in_sight_while_epoch_lines_pour_in() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("s")
        await shows(pilot, "checkpoint (user) saved")
        link.send(*chatter(12))  # the epoch's own lines, a moment later
        await shows(pilot, "note 11")
        await settle(pilot)
        shown = events_panel(app)
        assert "checkpoint (user) saved" in shown[0], shown  # pinned on top
        # Said from the runs folder on: the header names the run, a full path gets cut off.
        assert "in 0.2s: demo/checkpoints/last.pt" in shown[0], shown


async def test_a_checkpoint_path_is_shown_from_the_runs_folder() -> None:
    saved = ev.CheckpointSaved(
        step=5,
        epoch=1,
        path="/home/someone/projects/vision/experiments/runs/20261201-101500-default/"
        "checkpoints/best.pt",
        reason="best",
        seconds=0.1,
    )
    app = make_app(ScriptedLink([*history_events(), saved]))
    async with app.run_test(size=(120, 30)) as pilot:
        await shows(pilot, "20261201-101500-default/checkpoints/best.pt")
        assert "/home/someone" not in "\n".join(events_panel(app))
