"""The Samples screen: opens on its key, shows what the run saved, updates, degrades."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.ui.fakes import ScriptedLink, history_events, started
from tests.ui.screen import screen_text
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.pictures.tiles import Pictures
from tuitrain.runs.samples import TRAIN_BATCH, VAL_MISTAKES, write_samples
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.samples import SamplesScreen

NAMES = [f"c{k}" for k in range(10)]


def _started(run_dir: Path) -> ev.RunStarted:
    from dataclasses import fields, replace

    event = started(run_dir=str(run_dir))
    if "class_names" in {f.name for f in fields(event)}:
        event = replace(event, class_names=NAMES)
    return event


def _saved(run_dir: Path, kind: str, labels: list[int], step: int, total: int) -> ev.SamplesSaved:
    n = len(labels)
    pictures = Pictures(
        images=np.full((n, 8, 8, 3), 200, np.uint8),
        labels=labels,
        predicted=[(label + 1) % 10 for label in labels],
        confidence=[0.75] * n,
        total=total,
    )
    path = write_samples(run_dir, kind, pictures, NAMES)
    return ev.SamplesSaved(kind=kind, path=path, step=step, epoch=3, shown=n, total=total)


async def _open(app: MonitorApp, pilot) -> None:
    await pilot.pause()
    await pilot.press("i")
    for _ in range(50):
        await pilot.pause(0.05)
        if isinstance(app.screen, SamplesScreen):
            return
    raise AssertionError("the Samples screen did not open")


async def _until(pilot, condition, what: str = "the screen") -> None:
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{what} did not update")


@pytest.mark.parametrize("size", [(80, 24), (40, 12), (120, 40)])
async def test_the_screen_shows_the_saved_mistakes_and_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    events = [_started(tmp_path), *history_events()[1:]]
    events.append(_saved(tmp_path, VAL_MISTAKES, [2, 3], step=150, total=7))
    events.append(_saved(tmp_path, TRAIN_BATCH, [4, 5, 6], step=150, total=16))
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=size) as pilot:
        await _open(app, pilot)
        await _until(pilot, lambda: len(app.screen.query("Picture")) == 5)
        if size[0] >= 80:
            await _until(pilot, lambda: "2 of 7," in screen_text(app))
            text = screen_text(app)
            assert re.search(r"→ c?3 75%", text) and "▀" in text
        # A newer validation replaces what is shown.
        app.emit(_saved(tmp_path, VAL_MISTAKES, [1, 1, 1, 1], step=200, total=4))
        await _until(pilot, lambda: len(app.screen.query("Picture")) == 7)
        await pilot.press("i")
        await pilot.pause()
        assert not isinstance(app.screen, SamplesScreen)


async def test_before_any_validation_the_screen_says_so(tmp_path: Path) -> None:
    app = MonitorApp(ScriptedLink([_started(tmp_path)]), MonitorSettings(), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        assert "no validation yet" in screen_text(app)


async def test_without_colour_only_the_captions_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    events = [_started(tmp_path), _saved(tmp_path, VAL_MISTAKES, [2], 10, 1)]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        await _until(pilot, lambda: "75%" in screen_text(app))
        text = screen_text(app)
        assert "images need colour" in text and re.search(r"→ c?3 75%", text) and "▀" not in text
