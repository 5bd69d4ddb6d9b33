from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tuitrain.config.augment import Augment
from tuitrain.config.data import ImageFolderData
from tuitrain.data import prepare_data
from tuitrain.data.folder import load_image
from tuitrain.errors import UserError

CPU = torch.device("cpu")


def save(path: Path, size: tuple[int, int], mode: str = "RGB", value: int = 100) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = value if mode in ("L", "P") else (value,) * len(mode)
    Image.new(mode, size, colour).save(path)


def make_folder(root: Path) -> None:
    """Three classes of mixed formats, modes and sizes, plus files that are not images."""
    save(root / "cat" / "a.png", (20, 10))
    save(root / "cat" / "b.jpg", (12, 16), value=60)
    save(root / "cat" / "c.png", (9, 9), mode="L")
    save(root / "dog" / "a.png", (30, 30), mode="RGBA")
    save(root / "dog" / "deep" / "b.png", (8, 12), mode="P")
    save(root / "fish" / "a.bmp", (10, 10))
    save(root / "fish" / "b.png", (40, 20), mode="L", value=200)
    (root / "fish" / "notes.txt").write_text("not an image")
    (root / "dog" / "scan").write_bytes(b"\x00\x01junk")


def section(root: Path, **changes: object) -> ImageFolderData:
    values: dict[str, object] = {"root": root, "image_size": 8, "val_split": 0.0, "batch_size": 4}
    return ImageFolderData.model_validate({**values, **changes})


def test_mixed_images_become_one_size_and_channel_count(tmp_path: Path) -> None:
    make_folder(tmp_path)
    lines: list[str] = []
    prepared = prepare_data(section(tmp_path), Augment(), device=CPU, seed=0, log=lines.append)
    assert prepared.class_names == ["cat", "dog", "fish"]
    assert prepared.image_shape == (3, 8, 8) and prepared.train_size == 7
    assert prepared.loader == "memory" and prepared.val is None
    assert any("skipped 2 files" in line for line in lines)
    x, _ = next(prepared.train.epoch(0))
    assert x.shape == (4, 3, 8, 8)
    grey = prepare_data(section(tmp_path, channels=1), Augment(), device=CPU, seed=0)
    assert grey.image_shape == (1, 8, 8)
    labels = torch.cat([y for _, y in grey.train.epoch(0)])
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 2, 2]


def test_resize_shortens_the_short_side_then_crops_the_centre(tmp_path: Path) -> None:
    pixels = np.zeros((8, 16, 3), dtype=np.uint8)
    pixels[:, :4] = (255, 0, 0)
    pixels[:, 4:12] = (0, 255, 0)
    pixels[:, 12:] = (0, 0, 255)
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    out = load_image(tmp_path / "wide.png", 8, 3)
    assert out.shape == (3, 8, 8) and out.dtype == torch.uint8
    assert (out[1] == 255).all() and (out[0] == 0).all() and (out[2] == 0).all()
    grey = load_image(tmp_path / "wide.png", 8, 1)
    assert grey.shape == (1, 8, 8) and (grey == round(0.587 * 255)).all()
    small = load_image(tmp_path / "wide.png", 4, 3)
    assert small.shape == (3, 4, 4) and (small[1, :, 1:3] == 255).all()  # edges are filtered


def test_val_root_and_val_split(tmp_path: Path) -> None:
    make_folder(tmp_path / "train")
    save(tmp_path / "val" / "cat" / "x.png", (8, 8))
    save(tmp_path / "val" / "fish" / "y.png", (8, 8))
    with_root = section(tmp_path / "train", val_root=tmp_path / "val")
    prepared = prepare_data(with_root, Augment(), device=CPU, seed=0)
    assert prepared.val_size == 2 and prepared.train_size == 7
    assert sorted(torch.cat([y for _, y in prepared.val]).tolist()) == [0, 2]
    split = prepare_data(section(tmp_path / "train", val_split=0.3), Augment(), device=CPU, seed=0)
    assert split.val_size == 2 and split.train_size == 5


def test_empty_root_or_class_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no class sub-folders") as caught:
        prepare_data(section(tmp_path / "empty"), Augment(), device=CPU, seed=0)
    assert str(tmp_path / "empty") in caught.value.message
    make_folder(tmp_path / "data")
    (tmp_path / "data" / "owl").mkdir()
    (tmp_path / "data" / "owl" / "readme.md").write_text("no pictures yet")
    with pytest.raises(UserError, match="has no images") as caught:
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)
    assert str(tmp_path / "data" / "owl") in caught.value.message


def test_val_root_with_an_unknown_class_is_refused(tmp_path: Path) -> None:
    make_folder(tmp_path / "train")
    save(tmp_path / "val" / "horse" / "x.png", (8, 8))
    with pytest.raises(UserError, match="horse"):
        prepare_data(
            section(tmp_path / "train", val_root=tmp_path / "val"), Augment(), device=CPU, seed=0
        )
