"""The `data` section: which images, how they are split, batched and normalized."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from tuitrain.config.base import Section, rule_error
from tuitrain.config.targets import check_target

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
PositiveInt = Annotated[int, Field(gt=0)]


def _expand_home(path: Path) -> Path:
    """`~/data` expanded and a relative path made absolute (against the folder tuitrain runs
    in), so a run resumed from another folder, or by a cluster script, finds the same data;
    an unknown `~user` is a validation error, not a crash."""
    try:
        return Path(os.path.abspath(path.expanduser()))
    except RuntimeError:
        raise ValueError(f"cannot expand {str(path).split('/')[0]}: no such home folder") from None


def _is_folder(path: Path) -> bool:
    """Whether path is a folder; a name the system refuses (too long, a NUL) is not one."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _not_a_folder(path: Path, missing: str) -> str:
    """Why `path` is not a folder: `missing` when nothing is there."""
    try:
        exists = path.exists()
    except (OSError, ValueError):
        exists = False
    return f"{path} is a file, not a folder" if exists else missing


class ComputedNorm(Section):
    """Per-channel mean and std measured on the training set (before augmentation)."""

    kind: Literal["computed"] = "computed"


class GivenNorm(Section):
    """Per-channel mean and std given in the preset, on the 0..1 pixel scale."""

    kind: Literal["given"] = "given"
    mean: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1, max_length=4)
    std: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _same_length(self) -> GivenNorm:
        if len(self.mean) != len(self.std):
            raise rule_error(
                ("std",), self.std, "needs one value per channel, as many as mean", "length"
            )
        return self


class NoNorm(Section):
    """Raw pixels scaled to 0..1, nothing subtracted: useful to see why normalization matters."""

    kind: Literal["none"] = "none"


Normalize = Annotated[ComputedNorm | GivenNorm | NoNorm, Field(discriminator="kind")]


class DataCommon(Section):
    batch_size: Annotated[int, Field(ge=1, le=65536)] = 128
    """Images per training step. A power of two is recommended."""
    eval_batch_size: Annotated[int, Field(ge=1, le=65536)] | None = None
    """Images per validation step; defaults to twice batch_size."""
    shuffle: bool = True
    """Reshuffle the training set every epoch (minibatch SGD assumes it)."""
    drop_last: bool = False
    """Drop the last, smaller batch of each epoch."""
    train_subset: PositiveInt | None = None
    """Use only the first N training images (after the split): handy for quick tests."""
    val_subset: PositiveInt | None = None
    """Use only the first N validation images."""
    workers: Annotated[int, Field(ge=0, le=256)] | Literal["auto"] = "auto"
    """Loader worker processes for the streaming path ('auto': one per core)."""
    loader: Literal["auto", "memory", "stream"] = "auto"
    """'memory' keeps the dataset on the device as uint8; 'stream' uses a DataLoader."""
    normalize: Normalize = ComputedNorm()
    """Input normalization: computed from the training set, given, or none."""


class ShapesData(DataCommon):
    """The embedded dataset: procedurally drawn shapes, no download."""

    kind: Literal["shapes"] = "shapes"
    size: Annotated[int, Field(ge=20, le=1_000_000)] = 10_000
    """Number of images to draw, before the validation split."""
    image_size: Annotated[int, Field(ge=16, le=128)] = 32
    seed: Annotated[int, Field(ge=0)] = 0
    """Seed of the drawing; fixed apart from train.seed so runs compare on the same images."""
    noise: Annotated[float, Field(ge=0.0, le=1.0)] = 0.08
    """Standard deviation of the pixel noise, on the 0..1 scale."""
    clutter: Annotated[int, Field(ge=0, le=16)] = 3
    """Distracting strokes drawn behind each shape."""
    val_split: Fraction = 0.2
    """Fraction of the images held out for validation."""


class TorchvisionData(DataCommon):
    root: Annotated[Path, Field(validate_default=True)] = Path("data")
    """Folder holding the dataset (downloaded there when download is true)."""
    download: bool = False
    """Download the dataset into root when it is missing."""
    val_split: Fraction = 0.0
    """0 validates on the official test split; above 0 holds out that fraction of training."""

    @field_validator("root")
    @classmethod
    def _expand(cls, root: Path) -> Path:
        return _expand_home(root)

    @model_validator(mode="after")
    def _root_exists(self) -> TorchvisionData:
        if not self.download and not _is_folder(self.root):
            raise rule_error(
                ("root",),
                str(self.root),
                _not_a_folder(
                    self.root,
                    f"dataset folder {self.root} does not exist; "
                    "set data.download: true to fetch it, or point root at it",
                ),
                "missing_root",
            )
        return self


class Cifar10Data(TorchvisionData):
    kind: Literal["cifar10"] = "cifar10"


class Cifar100Data(TorchvisionData):
    kind: Literal["cifar100"] = "cifar100"


class MnistData(TorchvisionData):
    kind: Literal["mnist"] = "mnist"


class FashionMnistData(TorchvisionData):
    kind: Literal["fashion_mnist"] = "fashion_mnist"


class ImageFolderData(DataCommon):
    """Any folder of class sub-folders (root/cat/*.png, root/dog/*.jpg, ...)."""

    kind: Literal["imagefolder"] = "imagefolder"
    root: Path
    """Folder with one sub-folder of images per class."""
    val_root: Path | None = None
    """Optional folder of validation images with the same class sub-folders."""
    val_split: Fraction = 0.1
    """Fraction of root held out for validation when val_root is not given."""
    image_size: Annotated[int, Field(ge=8, le=512)] = 32
    """Images are resized to this square size."""
    channels: Literal[1, 3] = 3
    """1 converts to grayscale, 3 to RGB."""
    max_bad_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01
    """Largest share of image files that may be unreadable (empty, truncated, not images,
    too large to decode safely): they are skipped, named and listed in the run directory's
    skipped_files.txt. Past it the run refuses to start: so many bad files rather suggest a
    wrong folder or a failed copy."""

    @field_validator("root", "val_root")
    @classmethod
    def _expand(cls, root: Path | None) -> Path | None:
        return _expand_home(root) if root is not None else None

    @model_validator(mode="after")
    def _roots_exist(self) -> ImageFolderData:
        for key in ("root", "val_root"):
            path = getattr(self, key)
            if path is not None and not _is_folder(path):
                problem = _not_a_folder(path, f"image folder {path} does not exist")
                raise rule_error((key,), str(path), problem, "missing_root")
        return self


class GivenCommon(DataCommon):
    image_size: Annotated[int, Field(ge=8, le=512)] | None = None
    """Resize every image to this square size (needed when the images differ in size)."""
    val_split: Fraction = 0.1
    """Fraction of the training set held out for validation when no validation set is given."""


class PythonData(GivenCommon):
    """Your own datasets: a function returning (train, val), or a dict with train, val and
    classes; each a map-style Dataset of (image, label), an image a PIL image or a CxHxW
    tensor (uint8, or float in 0..1)."""

    kind: Literal["python"] = "python"
    target: Annotated[str, Field(max_length=4096), AfterValidator(check_target)]
    """'data.py:make' (a file, relative to the preset's folder) or 'package.module:make'."""
    args: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments for the target."""


class FitData(GivenCommon):
    """Datasets handed to tuitrain.fit() from Python; a preset file cannot load them."""

    kind: Literal["fit"] = "fit"
    val_given: bool = False
    """Whether tuitrain.fit was given a validation set."""
    loaders: bool = False
    """Whether tuitrain.fit was given DataLoaders, used as they are (their batch size, order
    and transforms; the settings above that batch, shuffle or normalize do not apply)."""
    val_split: Fraction = 0.0
    """Fraction of the training set held out when tuitrain.fit is given no validation set."""


Data = Annotated[
    ShapesData
    | Cifar10Data
    | Cifar100Data
    | MnistData
    | FashionMnistData
    | ImageFolderData
    | PythonData
    | FitData,
    Field(discriminator="kind"),
]
DataSection = ShapesData | TorchvisionData | ImageFolderData | PythonData | FitData


def has_validation(data: DataSection) -> bool:
    """Whether the data section yields a validation set (a python target is trusted to return
    one, or else data.val_split holds one out)."""
    if isinstance(data, TorchvisionData | PythonData):
        return True  # the official test split when val_split is 0
    if isinstance(data, ImageFolderData) and data.val_root is not None:
        return True
    if isinstance(data, FitData) and data.val_given:
        return True
    return data.val_split > 0
