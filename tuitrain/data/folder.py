"""Image folders: root/<class>/<images>, listed, checked and decoded to fixed-size uint8."""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms.v2 import functional as TF

from tuitrain.data.badfiles import BadFile, BadFiles
from tuitrain.data.walk import list_files
from tuitrain.errors import UserError
from tuitrain.textsafe import printable_path

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
_PROBES_PER_THREAD = 2048
"""Below this many files of a class, reading their headers in one thread is quickest."""


def _decode_error(exc: Exception) -> str:
    """Why PIL could not use a file, in words (its own messages vary by format)."""
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(claimed.group(1)) / 1e6:.0f} million" if claimed else "too many"
        limit = (Image.MAX_IMAGE_PIXELS or 0) / 1e6
        return f"claims {pixels} pixels, over the {limit:.0f} million decoded safely"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else str(exc)


@contextlib.contextmanager
def _bombs_refused() -> Iterator[None]:
    """PIL warns about images between one and two times its pixel limit and decodes them;
    tuitrain refuses them like the larger ones, by name, without a raw warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def probe(path: Path) -> str | None:
    """Why `path` cannot be an image, or None when its header reads as one (reads a few bytes;
    a truncated body is only found when decoding)."""
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as image:
            image.size  # noqa: B018 - the header is parsed by open; nothing more is read
    except Exception as exc:
        return _decode_error(exc)
    return None


def _probe_all(paths: list[Path]) -> list[str | None]:
    """probe() of each path; threads overlap the file reads of a large or remote folder."""
    with _bombs_refused():
        if len(paths) < _PROBES_PER_THREAD:
            return [probe(p) for p in paths]
        threads = min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(probe, paths, chunksize=256))


def scan(
    root: Path, classes: list[str], key: str, log: Callable[[str], None], bad: BadFiles
) -> tuple[list[Path], list[int]]:
    """Image paths under root/<class>/ (recursively, sorted) and their class indices.

    Files that are not images (by suffix and header) are skipped and counted. Files named as
    images whose header cannot be read, and links that lead nowhere, are bad files: skipped,
    named and listed by `bad`, which refuses the data past its limit. A class folder without
    usable images is an error, since the class could never be learned or scored.
    """
    listing = list_files(root, classes, key)
    empty: list[Path] = []
    paths: list[Path] = []
    labels: list[int] = []
    skipped: list[Path] = []
    bad_files = [BadFile(link, "a link that leads nowhere") for link in listing.broken_links]
    for label, name in enumerate(classes):
        files = listing.files.get(name)
        if files is None:
            continue
        kept = 0
        for path, problem in zip(files, _probe_all(files), strict=True):
            if problem is None:
                paths.append(path)
                labels.append(label)
                kept += 1
            elif path.suffix.lower() in _IMAGE_SUFFIXES or problem != "not an image":
                bad_files.append(BadFile(path, problem))
            else:
                skipped.append(path)
        if not kept:
            empty.append(root / name)
    if skipped:
        example = printable_path(skipped[0].relative_to(root))
        log(f"warning: skipped {len(skipped)} files in {root} that are not images (e.g. {example})")
    bad.check(sorted(bad_files, key=lambda f: f.path), len(paths) + len(bad_files), root, log)
    if empty:
        readable = " readable" if any(f.path.parent == empty[0] for f in bad_files) else ""
        raise UserError(
            f"class folder {empty[0]} has no{readable} images",
            hint=f"add images to it or remove the folder from {key}",
        )
    return paths, labels


class BadImage(UserError):
    """An image file that could not be decoded."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"cannot read image {printable_path(path)}: {reason}", hint="remove or replace the file"
        )
        self.path, self.reason = path, reason


def decode_problem(path: Path) -> str:
    """Why decoding `path` fails (for a file a worker process found unreadable)."""
    try:
        load_image(path, 1, 1)
    except BadImage as exc:
        return exc.reason
    return "could not be decoded at first, but can be now"


def load_image(path: Path, size: int, channels: int) -> torch.Tensor:
    """Decode, convert to L or RGB, resize the shorter side to `size`, centre-crop: C x S x S."""
    try:
        with _bombs_refused(), Image.open(path) as image:
            image = image.convert("L" if channels == 1 else "RGB")
    except Exception as error:
        raise BadImage(path, _decode_error(error)) from None
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
