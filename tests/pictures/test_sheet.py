"""The PNG grid: its size follows the layout, its pixels are the tiles'."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tuitrain.cli import main
from tuitrain.pictures.sheet import GAP, render_sheet, sheet_size, tile_scale
from tuitrain.pictures.tiles import Tile

TINY_SETS = ["data.size=120", "data.image_size=16", "train.device=cpu"]


def test_a_tile_lands_scaled_at_its_place() -> None:
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    blue = np.zeros((16, 16, 3), np.uint8)
    blue[..., 2] = 255
    sheet = np.asarray(render_sheet([[Tile(red, "a"), Tile(blue, "b")]]))
    k = tile_scale(16, 16)
    assert k == 4
    assert sheet.shape[1::-1] == sheet_size(1, 2, 16, 16)
    assert (sheet[GAP : GAP + 64, GAP : GAP + 64] == [255, 0, 0]).all()
    left = 2 * GAP + 64
    assert (sheet[GAP : GAP + 64, left : left + 64] == [0, 0, 255]).all()


def test_preview_out_writes_a_png_of_the_expected_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "grid.png"
    argv = ["preview", "crop-flip", "--images", "3", "--copies", "2", "--out", str(out)]
    for setting in TINY_SETS:
        argv += ["--set", setting]
    assert main(argv) == 0
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == sheet_size(3, 3, 16, 16)
    assert f"wrote {out}" in capsys.readouterr().out


def test_preview_refuses_what_it_cannot_do(tmp_path: Path, capsys) -> None:
    sets = [item for setting in TINY_SETS for item in ("--set", setting)]
    assert main(["preview", "default", *sets, "--out", str(tmp_path / "x.jpg")]) == 2
    assert "written as PNG" in capsys.readouterr().err
    assert main(["preview", "default", *sets, "--class", "nothing"]) == 2
    assert "no class 'nothing'" in capsys.readouterr().err
    assert main(["preview", "default", *sets, "--images", "0"]) == 2
    assert main(["preview", "no-such-preset"]) == 2
