"""samples/: what the run writes is what the monitor reads, and people get a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tuitrain.pictures.tiles import Pictures
from tuitrain.runs.samples import TRAIN_BATCH, VAL_MISTAKES, caption, read_samples, write_samples


def _pictures(n: int) -> Pictures:
    rng = np.random.default_rng(0)
    return Pictures(
        images=rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8),
        labels=[0] * n,
        predicted=[1] * n,
        confidence=[0.9] * n,
        total=n + 5,
    )


def test_written_samples_read_back_equal(tmp_path: Path) -> None:
    written = _pictures(10)
    relative = write_samples(tmp_path, VAL_MISTAKES, written, ["cat", "dog"])
    assert relative == "samples/val_mistakes.npz"
    found = read_samples(tmp_path / relative)
    assert found is not None
    read, names = found
    assert names == ["cat", "dog"]
    assert np.array_equal(read.images, written.images)
    assert (read.labels, read.predicted, read.total) == (written.labels, written.predicted, 15)
    assert np.allclose(read.confidence, written.confidence)
    with Image.open(tmp_path / "samples" / "val_mistakes.png") as sheet:
        assert sheet.format == "PNG" and sheet.width > sheet.height  # 8 a row, two rows
    assert not list((tmp_path / "samples").glob(".*.tmp"))


def test_a_missing_or_damaged_file_reads_as_nothing(tmp_path: Path) -> None:
    assert read_samples(tmp_path / "nothing.npz") is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert read_samples(tmp_path / "bad.npz") is None


def test_captions() -> None:
    p = Pictures(np.zeros((2, 1, 1, 3), np.uint8), [0, 1], [1, -1], [0.875, 1.0], 2)
    assert caption(VAL_MISTAKES, p, 0, ["cat", "dog"]) == "cat → dog 88%"
    assert caption(TRAIN_BATCH, p, 1, ["cat", "dog"]) == "dog"
    mixed = Pictures(np.zeros((1, 1, 1, 3), np.uint8), [0], [1], [0.7], 1)
    assert caption(TRAIN_BATCH, mixed, 0, []) == "0 70% + 1 30%"
