"""The Layers and Classes screens at 80x24, fed by events as a run sends them."""

from __future__ import annotations

import random

import pytest

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.classes_screen import ClassesScreen
from tuitrain.ui.layers_screen import LayersScreen

SHAPES = ["circle", "square", "triangle", "star", "cross", "ring", "heart", "arrow", "moon", "bolt"]


def counted(names: list[str]) -> ev.ClassesCounted:
    """Class k is right with probability rising with k; mistakes spread at random."""
    rng, n = random.Random(0), len(names)
    matrix = [[0] * n for _ in range(n)]
    for t in range(n):
        for _ in range(40):
            matrix[t][t if rng.random() < 0.3 + 0.6 * t / n else rng.randrange(n)] += 1
    matrix[0][1] += 30  # the most confused pair by far: circle taken for square
    return ev.ClassesCounted(
        step=300, epoch=3.0, names=names, matrix=matrix, acc=ev.class_accuracies(matrix)
    )


def sampled(step: int, grad: float) -> ev.LayersSampled:
    def reading(name: str, **changes: float | None) -> ev.LayerReading:
        values = dict(out_mean=0.0, out_std=1.0, zeros=0.5, dead=0.0, grad_norm=0.1,
                      weight_norm=2.0, update_ratio=1e-3)  # fmt: skip
        return ev.LayerReading(name=name, kind="conv", **{**values, **changes})  # type: ignore[arg-type]

    return ev.LayersSampled(
        step=step,
        layers=[
            reading("stages.0.0", grad_norm=50.0),
            reading("stages.1.0"),
            reading("head.linear", zeros=None, dead=None, grad_norm=grad),
        ],
    )


async def opened(app: MonitorApp, pilot, key: str, screen: type) -> str:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press(key)
    for _ in range(100):
        await pilot.pause(0.05)
        if isinstance(app.screen, screen) and "·" in screen_text(app):
            return screen_text(app)
    raise AssertionError(f"{screen.__name__} did not open")


async def test_the_classes_screen_at_80x24_with_ten_classes() -> None:
    events = [*history_events(), counted(SHAPES)]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await opened(app, pilot, "c", ClassesScreen)
        lines = text.splitlines()
        assert "worst: circle" in text  # the worst class first
        assert "most confused: circle→square" in text
        header = next(line for line in lines if "true→pred" in line)
        assert header.split()[1:11] == [str(k) for k in range(10)]  # the whole matrix
        assert "summarized" not in text
        row = next(line for line in lines if line.strip().startswith("0 circle"))
        matrix = counted(SHAPES).matrix
        assert [int(cell) for cell in row.split()[2:12]] == matrix[0]
        await pilot.press("c")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ClassesScreen)  # the key toggles it


async def test_the_classes_screen_summarizes_a_hundred_classes_and_says_so() -> None:
    names = [f"class{k}" for k in range(100)]
    events = [*history_events(), counted(names)]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await opened(app, pilot, "c", ClassesScreen)
        note = next(line for line in text.splitlines() if "summarized" in line)
        shown = int(note.split("the ")[1].split()[0])
        assert 5 <= shown < 100 and "of 100 classes" in note
        assert all(len(line.rstrip()) <= 80 for line in text.splitlines())
        assert "class0 " in text  # the worst class is among the rows


@pytest.mark.parametrize("worst_first", [False, True])
async def test_the_layers_screen_lists_layers_and_puts_the_worst_first(worst_first: bool) -> None:
    events = [*history_events(), *(sampled(50 * k, grad=0.1 * 10**k) for k in range(1, 5))]
    app = MonitorApp(ScriptedLink(events), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(80, 24)) as pilot:
        text = await opened(app, pilot, "y", LayersScreen)
        if worst_first:
            await pilot.press("w")
            await pilot.pause(0.2)
            text = screen_text(app)
        rows = [line for line in text.splitlines() if "stages." in line or "head." in line]
        names = [row.split()[0] for row in rows if not row.lstrip().startswith("!")]
        expect = ["head.linear", "stages.0.0", "stages.1.0"] if worst_first else [
            "stages.0.0", "stages.1.0", "head.linear"]  # fmt: skip
        assert names[:3] == expect
        assert "exploding: gradient norm 1e+03 in head.linear" in text  # named, with the numbers
        assert "step 200 · 4 samples" in text
        assert any(ch in text for ch in "▁▂▃▄▅▆▇█")  # the strip over time
