"""A grid of tiles as one PNG: for `preview --out`, headless previews and saved mistakes.

Layout: every tile is scaled by the same whole factor to at least MIN_TILE pixels on its long
side, with a caption band of two lines under it (a mixed image's second class goes on the
second line), GAP pixels between tiles and around the grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tuitrain.pictures.tiles import Tile, caption_lines, resize_nearest

MIN_TILE = 64
CAPTION = 26
_LINE = 12
GAP = 4
_BACKGROUND = (24, 24, 24)
_TEXT = (230, 230, 230)


def tile_scale(height: int, width: int) -> int:
    """The whole factor that brings the long side to at least MIN_TILE pixels."""
    return max(1, -(-MIN_TILE // max(height, width)))


def sheet_size(rows: int, cols: int, height: int, width: int) -> tuple[int, int]:
    """(width, height) in pixels of a sheet of rows x cols tiles of height x width pixels."""
    k = tile_scale(height, width)
    return cols * k * width + (cols + 1) * GAP, rows * (k * height + CAPTION) + (rows + 1) * GAP


def render_sheet(grid: list[list[Tile]]) -> Image.Image:
    """The grid drawn on a dark background; every tile must have the same size."""
    if not grid or not grid[0]:
        raise ValueError("a sheet needs at least one tile")
    height, width = grid[0][0].pixels.shape[:2]
    k = tile_scale(height, width)
    cols = max(len(row) for row in grid)
    sheet = Image.new("RGB", sheet_size(len(grid), cols, height, width), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for r, row in enumerate(grid):
        top = GAP + r * (k * height + CAPTION + GAP)
        for c, tile in enumerate(row):
            left = GAP + c * (k * width + GAP)
            big = resize_nearest(tile.pixels, k * width, k * height)
            sheet.paste(Image.fromarray(np.ascontiguousarray(big)), (left, top))
            for n, line in enumerate(caption_lines(tile.caption)):
                y = top + k * height + 1 + n * _LINE
                draw.text((left, y), _fit(draw, font, line, k * width), fill=_TEXT, font=font)
    return sheet


def write_sheet(grid: list[list[Tile]], path: Path) -> tuple[int, int]:
    """Write the grid as a PNG at `path`; returns its (width, height)."""
    image = render_sheet(grid)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return image.size


def _fit(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    text: str,
    width: int,
) -> str:
    """The caption, cut with an ellipsis where it would run past its tile."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…" if text else ""
