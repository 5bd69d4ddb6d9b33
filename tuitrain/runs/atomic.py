"""Replacing a file so that a crash at any instant leaves either the old file or the new one.

The new content goes to a temporary file in the same directory, is flushed and fsynced, and is
renamed over the old name with os.replace (atomic on POSIX); then the directory itself is
fsynced so the rename survives a power loss. On any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from tuitrain.runs import privacy


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        mode = privacy.current_file_mode()
        if mode is not None and mode != 0o600:  # mkstemp makes it 0600, the private mode
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle, temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write(
    path: Path, write: Callable[[BinaryIO], object], *, keep_previous: Path | None = None
) -> None:
    """Write `path` through `write(handle)`, atomically.

    With `keep_previous`, the file being replaced is kept there too, so two generations exist;
    `path` itself is never missing, not even for an instant (a reader polling it always finds
    a whole file), and a crash at any point leaves the previous generation in place.
    """
    with _temporary_beside(path) as (handle, temp):
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if keep_previous is not None and path.exists():
            _keep_as(path, keep_previous)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def _keep_as(path: Path, previous: Path) -> None:
    """Make `previous` a second name of `path`'s current file (a hard link put in place with
    os.replace), so replacing `path` next leaves no moment without it. Where the file system
    has no hard links, the file is moved instead."""
    link = previous.with_name(f".{previous.name}.{os.getpid()}.link.tmp")
    try:
        link.unlink(missing_ok=True)
        os.link(path, link)
    except OSError:
        os.replace(path, previous)
        return
    os.replace(link, previous)
