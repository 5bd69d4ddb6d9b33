"""Image folders: root/<class>/<images>, listed, checked and decoded to fixed-size uint8."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms.v2 import functional as TF

from tuitrain.errors import UserError

_IMAGE_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".ppm",
    ".bmp",
    ".pgm",
    ".tif",
    ".tiff",
    ".webp",
    ".gif",
}


def class_folders(root: Path, key: str) -> list[str]:
    """Sorted names of the class sub-folders of `root` (hidden ones ignored)."""
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise UserError(
            f"image folder {root} has no class sub-folders",
            hint=f"put the images in {root}/<class name>/ folders, one per class, or fix {key}",
        )
    return names


def _is_image(path: Path) -> bool:
    """Trusted by suffix; anything else is probed by its header (reads a few bytes only)."""
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        return True
    try:
        with Image.open(path) as image:
            return image.format is not None
    except (UnidentifiedImageError, OSError):
        return False


def scan(
    root: Path, classes: list[str], key: str, log: Callable[[str], None]
) -> tuple[list[Path], list[int]]:
    """Image paths under root/<class>/ (recursively, sorted) and their class indices.

    Files that are not images are skipped and counted; a class folder without images is an
    error, since the class could never be learned or scored.
    """
    paths: list[Path] = []
    labels: list[int] = []
    skipped: list[Path] = []
    for label, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        images = [p for p in files if _is_image(p)]
        kept = set(images)
        skipped.extend(p for p in files if p not in kept)
        if not images:
            raise UserError(
                f"class folder {folder} has no images",
                hint=f"add images to it or remove the folder from {key}",
            )
        paths.extend(images)
        labels.extend([label] * len(images))
    if skipped:
        example = skipped[0].relative_to(root)
        log(f"warning: skipped {len(skipped)} files in {root} that are not images (e.g. {example})")
    return paths, labels


def load_image(path: Path, size: int, channels: int) -> torch.Tensor:
    """Decode, convert to L or RGB, resize the shorter side to `size`, centre-crop: C x S x S."""
    try:
        with Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise UserError(
            f"cannot read image {path}: {error}", hint="remove or replace the file"
        ) from error
    image = TF.resize(image, [size], antialias=True)
    image = TF.center_crop(image, [size, size])
    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def shuffled(paths: list[Path], labels: list[int]) -> tuple[tuple[Path, ...], torch.Tensor]:
    """A fixed shuffle (same every run), so "the first N images" mixes the classes."""
    order = torch.randperm(len(paths), generator=torch.Generator().manual_seed(0)).tolist()
    picked = tuple(paths[i] for i in order)
    return picked, torch.tensor([labels[i] for i in order], dtype=torch.int64)
