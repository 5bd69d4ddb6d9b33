"""Images in the terminal: half blocks cell by cell, the drawing mode, the preview app."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console
from textual_image.renderable.halfcell import Image as HalfcellImage

from tests.conftest import tiny
from tests.ui.screen import screen_text
from tuitrain.pictures.preview import PreviewData, PreviewRequest
from tuitrain.ui import images
from tuitrain.ui.images import NEEDS_COLOUR, half_block_image, image_mode, tile_cells
from tuitrain.ui.preview import PreviewApp


def _cells(pixels: np.ndarray, cols: int, rows: int) -> list[list[tuple[str, tuple, tuple]]]:
    picture = half_block_image(pixels, cols, rows)
    console = Console(width=80, file=io.StringIO(), color_system="truecolor")
    renderable = HalfcellImage(picture, width=picture.width, height=picture.height // 2)
    lines = console.render_lines(renderable, console.options, pad=False)
    return [
        [
            (s.text, s.style.color.triplet, s.style.bgcolor.triplet)
            for s in line
            if s.text.strip() and s.style is not None
        ]
        for line in lines
    ]


def test_a_known_image_is_drawn_as_half_blocks_cell_by_cell() -> None:
    # 2 wide, 4 tall: two cells per row, two rows; each cell is the pixel above over the one below.
    pixels = np.array(
        [
            [[255, 0, 0], [0, 255, 0]],
            [[0, 0, 255], [255, 255, 0]],
            [[10, 20, 30], [40, 50, 60]],
            [[70, 80, 90], [200, 210, 220]],
        ],
        dtype=np.uint8,
    )
    cells = _cells(pixels, cols=2, rows=2)
    assert cells == [
        [("▀", (255, 0, 0), (0, 0, 255)), ("▀", (0, 255, 0), (255, 255, 0))],
        [("▀", (10, 20, 30), (70, 80, 90)), ("▀", (40, 50, 60), (200, 210, 220))],
    ]


def test_an_image_is_scaled_to_the_cells_it_is_given() -> None:
    pixels = np.zeros((32, 32, 3), np.uint8)
    pixels[:16] = 255  # white top half, black bottom half
    cells = _cells(pixels, cols=4, rows=2)
    assert [len(row) for row in cells] == [4, 4]
    assert {c[1] for c in cells[0]} == {(255, 255, 255)} and {c[2] for c in cells[1]} == {(0, 0, 0)}


@pytest.mark.parametrize(
    ("color_system", "env", "expected"),
    [
        ("truecolor", {}, "halfblock"),
        ("256", {}, "halfblock"),
        ("standard", {}, "text"),
        ("truecolor", {"NO_COLOR": "1"}, "text"),
        ("truecolor", {"TUITRAIN_IMAGES": "text"}, "text"),
        ("truecolor", {"TUITRAIN_IMAGES": "sixel"}, "sixel"),
    ],
)
def test_the_drawing_mode(
    monkeypatch: pytest.MonkeyPatch, color_system: str, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setattr(images, "_protocol", None)
    images.detect_protocol(env)  # not a terminal here: half blocks unless forced
    assert image_mode(color_system, env) == expected


def test_tiles_fit_the_width() -> None:
    assert tile_cells(100, 5, 32) == (18, 9)
    assert tile_cells(40, 5, 32) == (6, 3)
    assert tile_cells(200, 2, 16) == (32, 16)


@pytest.mark.parametrize("size", [(80, 24), (40, 12), (120, 40)])
async def test_the_preview_app_draws_and_answers_its_keys(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    data = PreviewData(tiny(augment={"flip": {}}))
    app = PreviewApp(data, PreviewRequest(images=3, copies=2), "tiny")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "every class" in text and "▀" in text
        await pilot.press("n")
        await pilot.pause()
        assert f"class {data.class_names[0]}" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert "augmentation off" in screen_text(app)
        assert len(app.query("Picture")) == 3
        await pilot.press("r")
        await pilot.pause()
        assert "sample 1" in screen_text(app)
        await pilot.press("q")


@pytest.mark.parametrize(
    "env", [{"NO_COLOR": "1", "COLORTERM": "truecolor"}, {"TERM": "xterm", "COLORTERM": ""}]
)
async def test_without_colour_the_preview_says_so_and_shows_the_captions(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    data = PreviewData(tiny())
    app = PreviewApp(data, PreviewRequest(images=2, copies=0), "tiny")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert NEEDS_COLOUR[:40] in text.replace("\n", " ")
        assert "▀" not in text
        assert all(row.caption in text for row in (t[0] for t in data.draw(app.request)))
