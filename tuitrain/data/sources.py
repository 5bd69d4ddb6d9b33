"""From the preset's data section to training and validation images, split and named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tuitrain.config.data import (
    DataSection,
    FitData,
    GivenCommon,
    ImageFolderData,
    PythonData,
    ShapesData,
    TorchvisionData,
)
from tuitrain.data import capacity
from tuitrain.data.badfiles import BadFiles
from tuitrain.data.folder import scan, shuffled
from tuitrain.data.given import call_data_target, datasets_source
from tuitrain.data.images import FileSet, Images, split_indices
from tuitrain.data.seeding import SPLIT, derive_seed
from tuitrain.data.shapes import CLASS_NAMES, draw_shapes
from tuitrain.data.vision import load_torchvision
from tuitrain.data.walk import class_folders
from tuitrain.errors import UserError

Log = Callable[[str], None]


@dataclass(frozen=True)
class GivenDatasets:
    """Datasets handed to tuitrain.fit() (map-style, of (image, label))."""

    train: Any
    val: Any
    classes: list[str] | None

    @property
    def loaders(self) -> bool:
        """Whether these are DataLoaders, to be used as they are."""
        from torch.utils.data import DataLoader

        return isinstance(self.train, DataLoader)


@dataclass(frozen=True)
class Source:
    train: Images
    val: Images | None
    class_names: list[str]


def _split(images: Images, fraction: float, seed: int) -> tuple[Images, Images | None]:
    if fraction <= 0:
        return images, None
    gen = torch.Generator().manual_seed(derive_seed(seed, SPLIT))
    train, val = split_indices(images.labels, fraction, gen)
    return images.take(train), images.take(val)


def _shapes(data: ShapesData, log: Log) -> Source:
    nbytes = data.size * 3 * data.image_size**2
    if not capacity.fits(nbytes, torch.device("cpu")):
        raise UserError(
            f"drawing {data.size} shapes at {data.image_size} px needs {nbytes / 2**30:.1f} GiB, "
            "more than the free memory",
            hint="lower data.size or data.image_size",
        )
    log(f"drawing {data.size} shapes")
    images = draw_shapes(
        data.size,
        image_size=data.image_size,
        seed=data.seed,
        noise=data.noise,
        clutter=data.clutter,
    )
    train, val = _split(images, data.val_split, data.seed)
    return Source(train, val, list(CLASS_NAMES))


def _torchvision(data: TorchvisionData, log: Log) -> Source:
    train, test, names = load_torchvision(data, log)
    if data.val_split > 0:
        # A fixed split seed: runs with different train seeds still compare on the same images.
        carved, val = _split(train, data.val_split, 0)
        return Source(carved, val, names)
    return Source(train, test, names)


def _files(
    data: ImageFolderData, root_key: str, classes: list[str], log: Log, bad: BadFiles
) -> FileSet:
    root = data.root if root_key == "data.root" else data.val_root
    assert root is not None
    paths, labels = scan(root, classes, root_key, log, bad)
    ordered, tensor = shuffled(paths, labels)
    return FileSet(ordered, tensor, data.image_size, data.channels)


def _folder(data: ImageFolderData, log: Log, bad: BadFiles) -> Source:
    classes = class_folders(data.root, "data.root")
    log(f"listing images of {len(classes)} classes in {data.root}")
    train = _files(data, "data.root", classes, log, bad)
    if data.val_root is None:
        kept, val = _split(train, data.val_split, 0)
        return Source(kept, val, classes)
    extra = sorted(set(class_folders(data.val_root, "data.val_root")) - set(classes))
    if extra:
        raise UserError(
            f"{data.val_root} has class folders that {data.root} lacks: {', '.join(extra)}",
            hint="give data.val_root the same class folders as data.root",
        )
    return Source(train, _files(data, "data.val_root", classes, log, bad), classes)


def bad_files_for(data: DataSection, list_path: Path | None) -> BadFiles:
    """The bad-file record of `data`, listing them in `list_path` when given."""
    limit = data.max_bad_fraction if isinstance(data, ImageFolderData) else 0.0
    return BadFiles(list_path, limit)


def _given(data: GivenCommon, datasets: GivenDatasets, log: Log) -> Source:
    train, val, names = datasets_source(datasets.train, datasets.val, datasets.classes, data, log)
    if val is None:
        if data.val_split <= 0 and isinstance(data, PythonData):
            raise UserError(
                "data.target returned no validation set, and data.val_split is 0",
                hint="return (train, val) from the target, or set data.val_split (0.1 is usual)",
            )
        train, val = _split(train, data.val_split, 0)
    return Source(train, val, names)


def load_source(
    data: DataSection,
    log: Log,
    bad: BadFiles | None = None,
    given: GivenDatasets | None = None,
) -> Source:
    """The images a data section names; `given` holds the datasets of a tuitrain.fit() call."""
    bad = bad if bad is not None else bad_files_for(data, None)
    if isinstance(data, ShapesData):
        return _shapes(data, log)
    if isinstance(data, ImageFolderData):
        return _folder(data, log, bad)
    if isinstance(data, PythonData):
        return _given(data, GivenDatasets(*call_data_target(data)), log)
    if isinstance(data, FitData):
        if given is None:
            raise UserError(
                "this run's data was handed to tuitrain.fit() from Python; a preset cannot load it",
                hint="continue it from Python: tuitrain.fit(model, train, val, resume=RUN)",
            )
        return _given(data, given, log)
    return _torchvision(data, log)
