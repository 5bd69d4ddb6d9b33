"""Listing an image folder's classes and files, following symbolic links once and safely.

A link is followed where it leads, but a folder reached twice (a link cycle, or a second link to
a folder already listed) and a folder that holds the root itself are refused: either would put
the same images in the set twice, and a class holding the root would leak every training image
into validation. A link that leads nowhere is reported with the other files that were skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.errors import UserError


@dataclass
class Listing:
    """The regular files under each class folder, in sorted order, and the broken links met."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    broken_links: list[Path] = field(default_factory=list)


def _real(path: Path) -> str:
    return os.path.realpath(path)


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


class _Walk:
    """One root's walk: remembers every real folder entered, across all its classes."""

    def __init__(self, root: Path, key: str) -> None:
        self.root, self.key = root, key
        self.root_real = _real(root)
        self.entered: dict[str, Path] = {}
        self.broken: list[Path] = []

    def enter(self, folder: Path) -> None:
        real = _real(folder)
        if _inside(self.root_real, real):
            raise UserError(
                f"{folder} leads to {real}, which holds the image folder {self.root} itself: "
                "its images would be listed twice, in two classes",
                hint=f"remove the link {folder}, or point {self.key} at another folder",
            )
        earlier = self.entered.get(real)
        if earlier is not None:
            raise UserError(
                f"{folder} leads to {real}, a folder already listed as {earlier} "
                "(a link cycle, or two links to one folder): its images would count twice",
                hint=f"remove the link {folder}",
            )
        self.entered[real] = folder

    def files(self, folder: Path) -> list[Path]:
        """Regular files under `folder` (recursively, through links), sorted."""
        found: list[Path] = []
        pending = [folder]
        while pending:
            current = pending.pop()
            self.enter(current)
            for entry in _entries(current):
                path = Path(entry.path)
                if _is_dir(entry):
                    pending.append(path)
                elif _is_file(entry):
                    found.append(path)
                elif entry.is_symlink():
                    self.broken.append(path)
        return sorted(found)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as exc:
        raise UserError(f"cannot list {folder}: {exc.strerror or exc}") from None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop: ELOOP
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def class_folders(root: Path, key: str) -> list[str]:
    """Sorted names of the class sub-folders of `root` (hidden ones ignored). A class that is a
    link leading nowhere (broken, or a loop) is refused: the class set decides the model."""
    names = []
    for entry in _entries(root):
        if entry.name.startswith("."):
            continue
        if _is_dir(entry):
            names.append(entry.name)
        elif entry.is_symlink() and not _is_file(entry):
            target = os.readlink(entry.path)
            raise UserError(
                f"class folder {entry.path} is a link to {target}, which cannot be reached "
                "(missing, or a link loop)",
                hint=f"fix or remove the link {entry.path}",
            )
    if not names:
        raise UserError(
            f"image folder {root} has no class sub-folders",
            hint=f"put the images in {root}/<class name>/ folders, one per class, or fix {key}",
        )
    return sorted(names)


def list_files(root: Path, classes: list[str], key: str) -> Listing:
    """The files of each class folder of `root` that exists (val_root may lack some)."""
    walk = _Walk(root, key)
    listing = Listing()
    for name in classes:
        folder = root / name
        if folder.is_dir():
            listing.files[name] = walk.files(folder)
    listing.broken_links = sorted(walk.broken)
    return listing
