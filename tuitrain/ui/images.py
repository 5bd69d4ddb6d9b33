"""Images in the terminal, drawn by textual-image.

textual-image was chosen over rich-pixels and term-image (docs/pictures.md says why): it is a
Textual widget library, speaks the kitty graphics protocol and sixel (iTerm2, WezTerm, foot,
xterm, Windows Terminal, tmux 3.4+) and falls back to coloured half blocks, which every
terminal reached over SSH or inside tmux can show.

How a picture is drawn (`ImageMode`):
- `sixel` / `tgp`: the protocol the terminal answered for, asked once before the app starts
  (the question cannot be asked once Textual owns the terminal);
- `halfblock`: one cell shows two pixels, the upper as the foreground of `▀`, the lower as its
  background; always works where 24-bit or 256 colours do;
- `text`: under NO_COLOR or in a 16-colour terminal an image cannot be shown; the caption is.
`TUITRAIN_IMAGES=sixel|tgp|halfblock|text` overrides the choice.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Literal

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tuitrain.pictures.tiles import Pixels, Tile, caption_lines, fit_cells, resize_nearest

ImageMode = Literal["sixel", "tgp", "halfblock", "text"]
MODES: tuple[ImageMode, ...] = ("sixel", "tgp", "halfblock", "text")
NEEDS_COLOUR = "images need colour (NO_COLOR or a 16-colour terminal): showing captions only"

_protocol: ImageMode | None = None


MAX_TILE_COLS = 32
"""Wider tiles than this show no more of a small training image, only bigger pixels."""


def tile_cells(width: int, tiles_per_row: int, image_width: int) -> tuple[int, int]:
    """(cols, rows) of one tile: the row of tiles fits the terminal's width; square pixels."""
    cols = max(4, (width - 2) // max(1, tiles_per_row) - 1)
    cols = min(cols, MAX_TILE_COLS, max(8, 2 * image_width))
    return cols, max(2, cols // 2)


def detect_protocol(env: Mapping[str, str] = os.environ) -> ImageMode:
    """The best graphics protocol of this terminal. Call before the app starts (the apps that
    show images do, in their __init__): it asks the terminal, and keeps the answer."""
    global _protocol
    forced = env.get("TUITRAIN_IMAGES", "").strip().lower()
    if forced in MODES:
        _protocol = forced
    elif _protocol is None:
        _protocol = _ask_terminal() if sys.__stdout__ and sys.__stdout__.isatty() else "halfblock"
    return _protocol


def _ask_terminal() -> ImageMode:
    # Importing textual_image's widgets is what sends the terminal its questions (the protocol
    # and the cell size in pixels): it must happen before Textual owns the terminal.
    import textual_image.widget  # noqa: F401
    from textual_image import renderable

    if renderable.Image is renderable.SixelImage:
        return "sixel"
    if renderable.Image is renderable.TGPImage:
        return "tgp"
    return "halfblock"


def image_mode(color_system: str | None, env: Mapping[str, str] = os.environ) -> ImageMode:
    """How to draw images in an app whose console has `color_system`."""
    protocol = _protocol or detect_protocol(env)
    if protocol == "text" or "NO_COLOR" in env or color_system in (None, "standard", "windows"):
        return "text"
    return protocol


def half_block_image(pixels: Pixels, cols: int, rows: int) -> PILImage.Image:
    """The picture scaled to the pixel grid of at most cols x rows half-block cells."""
    width, height = fit_cells(pixels.shape[:2], cols, rows)
    return PILImage.fromarray(resize_nearest(pixels, width, height))


def image_widget(pixels: Pixels, cols: int, rows: int, mode: ImageMode) -> Widget:
    """A widget showing `pixels` in at most cols x rows cells."""
    from textual_image import widget as ti

    picture = half_block_image(pixels, cols, rows)
    cells_w, cells_h = picture.width, picture.height // 2
    if mode == "halfblock":
        shown: Widget = ti.HalfcellImage(picture)
    else:
        big = resize_nearest(pixels, 8 * cells_w, 16 * cells_h)  # protocols draw real pixels
        kind = ti.SixelImage if mode == "sixel" else ti.TGPImage
        shown = kind(PILImage.fromarray(big))
    shown.styles.width = cells_w
    shown.styles.height = cells_h
    return shown


class Picture(Vertical):
    """One tile: the image (or nothing, in text mode) over its caption."""

    DEFAULT_CSS = """
    Picture { width: auto; height: auto; margin: 0 1 0 0; }
    Picture > .caption { width: auto; max-width: 100%; }
    """

    def __init__(self, tile: Tile, cols: int, rows: int, mode: ImageMode) -> None:
        super().__init__(classes="picture")
        self.tile, self.cols, self.rows, self.mode = tile, cols, rows, mode

    def compose(self) -> ComposeResult:
        if self.mode != "text":
            yield image_widget(self.tile.pixels, self.cols, self.rows, self.mode)
        lines = [_cut(line, self.cols) for line in caption_lines(self.tile.caption)]
        yield Static("\n".join(lines), classes="caption", markup=False)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
