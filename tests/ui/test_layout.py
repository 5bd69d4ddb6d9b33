"""What the main screen shows at 80x24, how it degrades, and how it reads without colour."""

from __future__ import annotations

import pytest
from textual.events import Resize
from textual.geometry import Size

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_colors, screen_text, settle, shows
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp


def make_app(events: list[ev.Event] | None = None) -> MonitorApp:
    return MonitorApp(
        ScriptedLink(events or history_events()), MonitorSettings(refresh_hz=10), "test"
    )


async def test_the_80x24_screen_shows_every_panel() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "RUNNING", "q quit")
    lines = text.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    status = lines[0]
    for word in ("RUNNING", "demo", "NVIDIA H100", "fit OK", "gap +6.0 pts"):
        assert word in status
    for title in ("Loss", "Accuracy", "Progress", "Learning rate", "Run", "Events"):
        assert f"─ {title} " in text
    for word in (
        "epoch 4/10",  # progress: epoch of epochs with a bar
        "32%",
        "step 166",
        "img/s 1,234",
        "elapsed",
        "ETA epoch",
        "ETA run",
        "by schedule",  # who set the LR
        "sched plateau",
        "sgd lr 0.1 mom 0.9 wd 5e-4",  # the optimizer
        "batch norm · input computed",  # both normalizations
        "aug crop, flip",  # augmentations
        "epoch 3/10: train 0.5000 / 65.0%, val 0.6833 / 59.0% best",  # the log, newest first
    ):
        assert word in text, word
    assert text.index("epoch 3/10: train") < text.index("epoch 2/10: train")


async def test_an_overfitting_run_says_so_in_the_status_bar() -> None:
    events = history_events()
    last = events.pop(-5)  # the third EpochEnded
    assert isinstance(last, ev.EpochEnded)
    events.insert(-4, ev.EpochEnded(**{**last.__dict__, "fit": "overfitting"}))
    # Real run directories are long absolute paths: the path gives way, the verdict stays.
    first = events[0]
    assert isinstance(first, ev.RunStarted)
    long_dir = "/home/someone/projects/cnn/runs/20261127-181500-default"
    events[0] = ev.RunStarted(**{**first.__dict__, "run_dir": long_dir})
    app = make_app(events)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "OVERFITTING")
    status = text.splitlines()[0]
    assert status.endswith("OVERFITTING gap +6.0 pts"), status
    assert "…" in status and "181500-default" in status


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((40, 12), ["RUNNING", "loss", "val acc", "epoch 4/10", "LR", "0.1", "press ? for help"]),
        ((60, 20), ["RUNNING", "loss", "epoch 4/10", "ETA run"]),
        ((200, 60), ["RUNNING", "Loss", "Accuracy", "log scale", "dir runs/demo", "size 8,000"]),
        ((20, 5), ["RUNNING"]),
    ],
)
async def test_each_size_has_a_layout(size: tuple[int, int], expected: list[str]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        text = await shows(pilot, *expected)
    lines = text.splitlines()
    assert len(lines) == size[1]
    assert all(len(line) <= size[0] for line in lines)


async def test_resizes_including_a_burst_are_harmless() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        for size in [(40, 12), (20, 5), (200, 60), (1, 1), (80, 24)]:
            await pilot.resize_terminal(*size)
            await settle(pilot, ticks=1)
            assert "RUN" in screen_text(app)[:20] or size[0] < 8
        # A window being dragged: many sizes faster than the app can draw them.
        for i in range(60):
            size = Size(30 + (i * 37) % 150, 6 + (i * 11) % 50)
            app.post_message(Resize(size, size))
        await pilot.resize_terminal(80, 24)
        text = await shows(pilot, "RUNNING", "Learning rate", "Events")
    assert len(text.splitlines()) == 24


async def test_no_color_keeps_the_meaning_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app([*history_events(), ev.Paused(step=170, source="key")])
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "PAUSED", "paused at step 170", "fit OK")
        colors = screen_colors(app)
    assert app.no_color
    assert "Loss" in text and "epoch 4/10" in text
    for color in colors:
        triplet = color.get_truecolor()
        assert triplet.red == triplet.green == triplet.blue, color


async def test_a_16_colour_terminal_gets_the_terminal_palette(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "screen")  # what tmux and screen announce by default
    monkeypatch.delenv("COLORTERM", raising=False)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "Learning rate")
        assert app.console.color_system == "standard"
        assert app.theme == "ansi-dark"


async def test_redraws_only_when_something_changed() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await settle(pilot)
        drawn = app.redraws
        await settle(pilot, ticks=5)  # half a second at 10 Hz, nothing new
        assert app.redraws == drawn
        app.link.send(ev.Log(message="data loaded"))  # type: ignore[attr-defined]
        await shows(pilot, "data loaded")
        assert app.redraws == drawn + 1


async def test_a_data_parallel_run_shows_its_devices_and_whose_batch_statistics_norm_uses() -> None:
    events = history_events()
    first = events[0]
    assert isinstance(first, ev.RunStarted)
    events[0] = ev.RunStarted(**{**first.__dict__, "world_size": 4})
    app = make_app(events)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await shows(pilot, "RUNNING", "q quit")
    assert "4x NVIDIA H100" in text.splitlines()[0]
    assert "batch norm per device" in text  # each GPU's share: no sync_bn in this preset
    assert " = 4 x " in text  # the global batch and each device's share of it


async def test_each_ranks_gpu_memory_is_in_the_title_of_a_data_parallel_run() -> None:
    events = history_events()
    first, last = events[0], next(e for e in reversed(events) if isinstance(e, ev.StepProgress))
    assert isinstance(first, ev.RunStarted)
    events[0] = ev.RunStarted(**{**first.__dict__, "world_size": 2})
    memory = {"memory_mb": 1024.0, "rank_memory_mb": (1024.0, 1536.0)}
    events.append(ev.StepProgress(**{**last.__dict__, **memory}))
    async with make_app(events).run_test(size=(100, 30)) as pilot:
        text = await shows(pilot, "RUNNING", "q quit")
    assert "2x NVIDIA H100 1.0/1.5G" in text.splitlines()[0]
