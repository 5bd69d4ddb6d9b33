"""The augmentation preview: what it picks, what the copies are, how mixed labels read."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.conftest import tiny
from tuitrain.errors import UserError
from tuitrain.pictures.preview import PreviewData, PreviewRequest
from tuitrain.pictures.tiles import caption_lines, fit_cells, resize_nearest, to_rgb


def test_rows_hold_the_original_then_the_requested_copies() -> None:
    data = PreviewData(tiny(augment={"crop": {"padding": 2}, "flip": {}}))
    grid = data.draw(PreviewRequest(images=3, copies=2))
    assert [len(row) for row in grid] == [3, 3, 3]
    for row in grid:
        assert {tile.pixels.shape for tile in row} == {(16, 16, 3)}
        assert {tile.caption for tile in row} == {row[0].caption}  # no mixing: one class
        assert row[0].caption in data.class_names
    # Crop and flip change the picture (a flip of a 16-pixel image cannot leave all of them).
    assert any(not np.array_equal(row[0].pixels, tile.pixels) for row in grid for tile in row[1:])


def test_without_augmentation_only_the_originals_are_shown() -> None:
    data = PreviewData(tiny(augment={"flip": {}}))
    grid = data.draw(PreviewRequest(images=4, copies=3, augment=False))
    assert [len(row) for row in grid] == [1, 1, 1, 1]


def test_the_same_seed_draws_the_same_sample_and_another_seed_another() -> None:
    data = PreviewData(tiny(augment={"flip": {}}))
    one = data.draw(PreviewRequest(images=4, seed=1))
    again = data.draw(PreviewRequest(images=4, seed=1))
    other = data.draw(PreviewRequest(images=4, seed=2))

    def stacked(grid: list) -> np.ndarray:
        return np.stack([np.stack([t.pixels for t in row]) for row in grid])

    assert np.array_equal(stacked(one), stacked(again))
    assert not np.array_equal(stacked(one)[:, 0], stacked(other)[:, 0])


def test_a_class_filter_shows_only_that_class() -> None:
    data = PreviewData(tiny())
    index = data.class_index("square")
    grid = data.draw(PreviewRequest(images=5, class_index=index))
    assert grid and {row[0].caption for row in grid} == {"square"}
    with pytest.raises(UserError, match="no class 'sqare'"):
        data.class_index("sqare")


def test_mixup_copies_are_the_weighted_mix_of_two_originals_and_say_so() -> None:
    data = PreviewData(tiny(augment={"mixup": {"alpha": 1.0}}))
    request = PreviewRequest(images=6, copies=1, seed=3)
    index = data._pick(request)
    originals = data._pixels(index)
    labels = data.images.labels[index]
    mixed, targets = data._augmented(originals, labels, request.seed, 0)
    assert np.allclose(targets.sum(axis=1), 1.0, atol=1e-5)
    x = originals.float().numpy() / 255
    seen_mix = False
    for i, (image, target) in enumerate(zip(mixed, targets, strict=True)):
        lam = target[labels[i]]
        # Some original j must be the partner: image = lam * x_i + (1 - lam) * x_j.
        errors = [np.abs(lam * x[i] + (1 - lam) * x[j] - image / 255).max() for j in range(6)]
        assert min(errors) <= 1.5 / 255
        seen_mix |= 0.02 < lam < 0.98
    assert seen_mix
    grid = data.draw(request)
    captions = [row[1].caption for row in grid]
    two = [c for c in captions if " + " in c]
    assert two, captions
    for caption in two:
        weights = [int(w) for w in re.findall(r"(\d+)%", caption)]
        assert len(weights) == 2 and 99 <= sum(weights) <= 101 and weights[0] >= weights[1]
        assert caption_lines(caption)[1].startswith("+ ")


def test_erasing_fills_with_the_mean_colour_as_training_does() -> None:
    data = PreviewData(tiny(augment={"erasing": {"p": 1.0}}))
    grid = data.draw(PreviewRequest(images=4, copies=1))
    assert any(not np.array_equal(row[0].pixels, row[1].pixels) for row in grid)


def test_pixels_helpers() -> None:
    gray = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
    rgb = to_rgb(gray)
    assert rgb.shape == (2, 3, 3) and (rgb[..., 0] == rgb[..., 2]).all()
    image = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    assert np.array_equal(resize_nearest(image, 4, 4), image)
    assert resize_nearest(image, 8, 2).shape == (2, 8, 1)
    assert fit_cells((32, 32), 16, 8) == (16, 16)  # 16 cells wide, 8 tall, two pixels a cell
    assert fit_cells((32, 64), 16, 8) == (16, 8)


def test_every_data_kind_is_previewed_as_training_decodes_it(tmp_path) -> None:
    from PIL import Image

    from tests.e2e.helpers import REPO
    from tuitrain.config.loader import load_preset

    own = load_preset(str(REPO / "tests" / "fixtures" / "user" / "user.yaml")).preset
    grid = PreviewData(own).draw(PreviewRequest(images=2, copies=2))
    assert len(grid) == 2 and len(grid[0]) == 1  # a user's dataset; that preset has no augment
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        for k in range(3):
            pixels = np.full((40, 50, 3), 60 * k, np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{k}.png")
    folder = tiny(
        data={"kind": "imagefolder", "root": str(tmp_path), "image_size": 24, "val_split": 0.0},
        augment={"flip": {}},
    )
    data = PreviewData(folder)
    assert data.class_names == ["cat", "dog"]
    grid = data.draw(PreviewRequest(images=4, copies=1))
    assert len(grid) == 4 and {row[0].pixels.shape for row in grid} == {(24, 24, 3)}
