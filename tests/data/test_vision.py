"""torchvision datasets from tiny fake files in their real on-disk formats."""

from __future__ import annotations

import hashlib
import pickle
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision import datasets

from tuitrain.config.augment import Augment
from tuitrain.config.data import Cifar10Data, Cifar100Data, FashionMnistData, MnistData
from tuitrain.data import prepare_data
from tuitrain.errors import UserError

CPU = torch.device("cpu")


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """MNIST's idx format: big-endian magic (type 0x08 = uint8, then the rank), sizes, bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    header = struct.pack(">IIII", 0x0803, n, h, w)
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.tobytes())
    header = struct.pack(">II", 0x0801, n)
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(header + labels.tobytes())


def fake_mnist(root: Path, folder: str, train: int = 12, test: int = 5) -> np.ndarray:
    rng = np.random.default_rng(0)
    raw = root / folder / "raw"
    images = rng.integers(0, 256, (train, 28, 28), dtype=np.uint8)
    labels = (np.arange(train) % 10).astype(np.uint8)
    write_idx(raw, "train", images, labels)
    write_idx(raw, "t10k", images[:test], labels[:test][::-1].copy())
    return images


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def fake_cifar(
    root: Path, monkeypatch: pytest.MonkeyPatch, kind: type[datasets.CIFAR10], per_batch: int = 4
) -> np.ndarray:
    """CIFAR's pickled batches; torchvision verifies each file's md5 against a list it holds,
    so the test points that list at the fake files' checksums (the check itself still runs)."""
    folder = root / kind.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    label_key = "labels" if kind is datasets.CIFAR10 else "fine_labels"
    names = [name for name, _ in kind.train_list + kind.test_list]
    first_images = None
    for i, name in enumerate(names):
        data = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        first_images = data if first_images is None else first_images
        entry = {"data": data, label_key: [(i + j) % 10 for j in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry))
    meta_key = kind.meta["key"]
    (folder / kind.meta["filename"]).write_bytes(
        pickle.dumps({meta_key: [f"class{c}" for c in range(10)]})
    )
    monkeypatch.setattr(kind, "train_list", [[n, md5(folder / n)] for n, _ in kind.train_list])
    monkeypatch.setattr(kind, "test_list", [[n, md5(folder / n)] for n, _ in kind.test_list])
    meta = dict(kind.meta, md5=md5(folder / kind.meta["filename"]))
    monkeypatch.setattr(kind, "meta", meta)
    assert first_images is not None
    return first_images.reshape(per_batch, 3, 32, 32)


@pytest.mark.parametrize(
    ("section", "folder"), [(MnistData, "MNIST"), (FashionMnistData, "FashionMNIST")]
)
def test_mnist_style_sets_load_as_one_channel_images(
    tmp_path: Path, section: type[MnistData], folder: str
) -> None:
    images = fake_mnist(tmp_path, folder)
    data = section(root=tmp_path, batch_size=4, normalize={"kind": "none"})
    prepared = prepare_data(data, Augment(), device=CPU, seed=0)
    assert prepared.image_shape == (1, 28, 28)
    assert prepared.train_size == 12 and prepared.val_size == 5  # the official test split
    assert prepared.num_classes == 10 and len(prepared.class_names) == 10
    x, y = next(iter(prepared.val))
    assert y.tolist() == [4, 3, 2, 1, 0]
    assert torch.allclose(x[:, 0], torch.from_numpy(images[:5]).float() / 255)


def test_val_split_carves_validation_out_of_training(tmp_path: Path) -> None:
    fake_mnist(tmp_path, "MNIST", train=20)
    data = MnistData(root=tmp_path, batch_size=4, val_split=0.25)
    prepared = prepare_data(data, Augment(), device=CPU, seed=0)
    assert prepared.train_size == 15 and prepared.val_size == 5
    again = prepare_data(data, Augment(), device=CPU, seed=1)  # the split ignores train.seed
    val = torch.cat([x for x, _ in prepared.val])
    assert torch.equal(val, torch.cat([x for x, _ in again.val]))


@pytest.mark.parametrize("kind", [datasets.CIFAR10, datasets.CIFAR100])
def test_cifar_batches_load_as_three_channel_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: type[datasets.CIFAR10]
) -> None:
    first = fake_cifar(tmp_path, monkeypatch, kind)
    section = Cifar10Data if kind is datasets.CIFAR10 else Cifar100Data
    data = section(root=tmp_path, batch_size=8, shuffle=False, normalize={"kind": "none"})
    prepared = prepare_data(data, Augment(), device=CPU, seed=0)
    batches = len(kind.train_list)
    assert prepared.image_shape == (3, 32, 32)
    assert prepared.train_size == 4 * batches and prepared.val_size == 4
    assert prepared.class_names == [f"class{c}" for c in range(10)]
    x, y = next(prepared.train.epoch(0))
    assert torch.allclose(x[:4], torch.from_numpy(first).float() / 255)
    assert y[:4].tolist() == [0, 1, 2, 3]


def test_missing_dataset_names_the_folder_and_the_download_flag(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        prepare_data(Cifar10Data(root=tmp_path), Augment(), device=CPU, seed=0)
    assert str(tmp_path) in caught.value.message
    assert "data.download: true" in caught.value.hint


def test_failed_download_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.cifar, "download_and_extract_archive", offline)
    data = Cifar10Data(root=tmp_path / "new", download=True)
    with pytest.raises(UserError, match="could not download the cifar10") as caught:
        prepare_data(data, Augment(), device=CPU, seed=0)
    assert "no network" in caught.value.message and "network" in caught.value.hint
