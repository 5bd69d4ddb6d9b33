"""Every hotkey of the monitor against a real trainer training tiny data in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collector import Collector
from tests.conftest import tiny
from tests.ui.screen import shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer
from tuitrain.runs.rundir import RunDirectory
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.local import TrainerLink

SCREEN_S = 30.0  # a real run on a loaded machine answers in its own time


def answer(events: Collector, kind: type[ev.Event], count: int = 1) -> list:
    """Wait for `count` events of `kind` from a key press; return them all."""
    events.wait_for(
        lambda _: sum(isinstance(e, kind) and e.source == "key" for e in events.events) >= count,
        kind.__name__,
    )
    return [e for e in events.events if isinstance(e, kind) and e.source == "key"]


async def test_each_key_steers_a_real_run(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path / "runs", "tiny")
    trainer = Trainer(
        tiny(train={"epochs": 500}), name="tiny", run_dir=str(run.path), checkpoints=run
    )
    events = Collector()
    trainer.subscribe(events)
    app = MonitorApp(TrainerLink(trainer), MonitorSettings(refresh_hz=10), "tiny")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "step", timeout=SCREEN_S)

        await pilot.press("p")
        [paused] = answer(events, ev.Paused)
        await shows(pilot, "PAUSED", timeout=SCREEN_S)
        steps = len([e for e in events.events if isinstance(e, ev.StepProgress)])
        await pilot.pause(0.5)
        assert [e for e in events.events if isinstance(e, ev.StepProgress)][steps:] == []
        await pilot.press("p")
        [resumed] = answer(events, ev.Resumed)
        assert resumed.step == paused.step

        for key in "llL":
            await pilot.press(key)
        lowered, quartered, raised = answer(events, ev.LRChanged, 3)
        assert (lowered.scale, quartered.scale, raised.scale) == (0.5, 0.25, 0.5)
        assert quartered.lr == pytest.approx(0.05 * 0.25)
        await shows(pilot, "by you (key)", timeout=SCREEN_S)

        await pilot.press("s")
        [saved] = answer(events, ev.CheckpointSaved)
        assert Path(saved.path).is_file()
        await pilot.press("v")
        [validated] = answer(events, ev.Validated)
        assert validated.val_acc is not None

        await pilot.press("q")
        await shows(pilot, "stop", timeout=SCREEN_S)  # asks first while training
        await pilot.press("y")
        await until(pilot, lambda: trainer.result is not None, SCREEN_S)
    assert isinstance(trainer.result, ev.Finished) and trainer.result.status == "stopped"
    assert trainer.join(timeout=SCREEN_S)
    assert (run.path / "checkpoints" / "last.pt").is_file()
