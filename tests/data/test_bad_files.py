"""Bad image files among good ones: skipped, counted, named, listed, and limited."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import pytest
import torch
from PIL import Image

from tests.data.test_folder import save
from tuitrain.config.augment import Augment
from tuitrain.config.data import ImageFolderData
from tuitrain.data import prepare_data
from tuitrain.errors import UserError

CPU = torch.device("cpu")
GIVEN = {"kind": "given", "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}


def good_folder(root: Path, per_class: int = 10) -> None:
    for name, value in (("cat", 40), ("dog", 200)):
        for i in range(per_class):
            save(root / name / f"{i:02d}.png", (8, 8), value=value)


def truncated_jpeg(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = torch.randint(0, 256, (64, 64, 3), generator=torch.Generator().manual_seed(0))
    Image.fromarray(noise.to(torch.uint8).numpy()).save(path, format="JPEG", quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header whole, body cut: found only by decoding


def png_claiming(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height pixels, with (almost) no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def bad_files(root: Path) -> None:
    """Five files named as images that are not usable ones."""
    (root / "cat" / "empty.png").write_bytes(b"")
    (root / "cat" / "notes.jpg").write_text("a text file named as a JPEG")
    (root / "dog" / "garbage.png").write_bytes(b"\x00\x01not a png at all" * 10)
    (root / "dog" / "gone.png").symlink_to(root / "nowhere.png")
    truncated_jpeg(root / "dog" / "cut.jpg")


def section(root: Path, **changes: object) -> ImageFolderData:
    values = {"root": root, "image_size": 8, "val_split": 0.0, "batch_size": 4, **changes}
    return ImageFolderData.model_validate(values)


def test_bad_files_are_skipped_named_and_listed_under_the_limit(tmp_path: Path) -> None:
    good_folder(tmp_path / "data")
    bad_files(tmp_path / "data")
    listed, lines = tmp_path / "skipped_files.txt", []
    data = section(tmp_path / "data", max_bad_fraction=0.3)
    prepared = prepare_data(
        data, Augment(), device=CPU, seed=0, log=lines.append, skipped_list=listed
    )
    assert prepared.train_size == 20  # the truncated JPEG dropped when decoding found it
    labels = torch.cat([y for _, y in prepared.train.epoch(0)])
    assert sorted(labels.tolist()) == [0] * 10 + [1] * 10
    scan_warning = next(line for line in lines if "4 of 25 image files" in line)
    assert "cat/empty.png (empty file)" in scan_warning and "and 1 more" in scan_warning
    assert str(listed) in scan_warning
    assert any("1 of 21 image files" in line and "cut.jpg" in line for line in lines)
    rows = dict(line.split("\t") for line in listed.read_text().splitlines())
    root = tmp_path / "data"
    assert set(rows) == {
        str(root / "cat" / "empty.png"),
        str(root / "cat" / "notes.jpg"),
        str(root / "dog" / "garbage.png"),
        str(root / "dog" / "gone.png"),
        str(root / "dog" / "cut.jpg"),
    }
    assert rows[str(root / "dog" / "gone.png")] == "a link that leads nowhere"


def test_past_the_limit_the_data_is_refused_saying_how_many_and_where_the_list_is(
    tmp_path: Path,
) -> None:
    good_folder(tmp_path / "data")
    bad_files(tmp_path / "data")
    listed = tmp_path / "skipped_files.txt"
    with pytest.raises(UserError) as caught:
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0, skipped_list=listed)
    message = caught.value.message
    assert "4 of 25 image files" in message and "more than data.max_bad_fraction 1.0%" in message
    assert f"the full list is in {listed}" in message
    assert len(listed.read_text().splitlines()) == 4
    assert "max_bad_fraction" in (caught.value.hint or "")


def test_a_file_unreadable_during_training_is_replaced_and_said_once(tmp_path: Path) -> None:
    good_folder(tmp_path / "data", per_class=6)
    data = section(tmp_path / "data", loader="stream", workers=0, normalize=GIVEN)
    lines: list[str] = []
    prepared = prepare_data(data, Augment(), device=CPU, seed=5, log=lines.append)
    before = [y for _, y in prepared.train.epoch(0)]
    truncated_jpeg(tmp_path / "data" / "cat" / "03.png")  # the file changes under the run
    for epoch in (0, 0, 1):
        batches = list(prepared.train.epoch(epoch))
        assert [x.shape[0] for x, _ in batches] == [4, 4, 4]
    again = [y for _, y in prepared.train.epoch(0)]
    assert [y.shape for y in again] == [y.shape for y in before]
    assert torch.equal(torch.cat(again), torch.cat([y for _, y in prepared.train.epoch(0)]))
    warned = [line for line in lines if "03.png" in line]
    assert len(warned) == 1 and "another image of the epoch takes its place" in warned[0]


def test_decompression_bombs_are_bad_files_named_without_a_raw_warning(tmp_path: Path) -> None:
    good_folder(tmp_path / "data")
    png_claiming(tmp_path / "data" / "cat" / "huge.png", 30000, 30000)
    png_claiming(tmp_path / "data" / "dog" / "big.png", 10000, 10000)
    lines: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = prepare_data(
            section(tmp_path / "data", max_bad_fraction=0.1),
            Augment(),
            device=CPU,
            seed=0,
            log=lines.append,
        )
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert prepared.train_size == 20
    warning = next(line for line in lines if "2 of 22 image files" in line)
    assert "cat/huge.png (claims 900 million pixels" in warning
    assert "dog/big.png (claims 100 million pixels" in warning


def test_a_class_linked_to_the_root_is_refused(tmp_path: Path) -> None:
    good_folder(tmp_path / "data")
    (tmp_path / "data" / "mirror").symlink_to(".")
    with pytest.raises(UserError, match="holds the image folder") as caught:
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)
    assert str(tmp_path / "data" / "mirror") in caught.value.message


def test_a_link_loop_class_or_a_second_link_to_a_folder_is_refused(tmp_path: Path) -> None:
    good_folder(tmp_path / "data")
    loop = tmp_path / "data" / "loop"
    loop.symlink_to(loop)
    with pytest.raises(UserError, match="cannot be reached"):
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)
    loop.unlink()
    (tmp_path / "data" / "dog" / "cats").symlink_to(tmp_path / "data" / "cat")
    with pytest.raises(UserError, match="already listed"):
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)
    (tmp_path / "data" / "dog" / "cats").unlink()
    (tmp_path / "data" / "cat" / "again").symlink_to("..")
    with pytest.raises(UserError, match="holds the image folder"):
        prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)


def test_links_to_folders_and_files_elsewhere_are_followed(tmp_path: Path) -> None:
    good_folder(tmp_path / "data")
    save(tmp_path / "elsewhere" / "owls" / "a.png", (8, 8))
    save(tmp_path / "elsewhere" / "b.png", (8, 8))
    (tmp_path / "data" / "owl").symlink_to(tmp_path / "elsewhere" / "owls")
    (tmp_path / "data" / "owl" / "b.png").symlink_to(tmp_path / "elsewhere" / "b.png")
    prepared = prepare_data(section(tmp_path / "data"), Augment(), device=CPU, seed=0)
    assert prepared.class_names == ["cat", "dog", "owl"] and prepared.train_size == 22
