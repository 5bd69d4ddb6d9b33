"""Real file-system faults for tests: a read-only folder (a read-only bind mount where the tests
run as root, who ignores permission bits; the write bits taken away otherwise), and a small
tmpfs that can be filled to the last byte (root only)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> bool:
    tool = shutil.which(args[0])
    if tool is None:
        return False
    done = subprocess.run([tool, *args[1:]], capture_output=True, check=False)
    return done.returncode == 0


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` and everything under it cannot be written while the block runs."""
    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            os.chmod(path, modes[path] & ~0o222)
        try:
            yield folder
        finally:
            for path in reversed(paths):
                os.chmod(path, modes[path])
        return
    target = os.fspath(folder)
    if not _mount("mount", "--bind", target, target):
        pytest.skip("cannot make a read-only folder here (no bind mounts)")
    try:
        if not _mount("mount", "-o", "remount,ro,bind", target):
            pytest.skip("cannot remount a bind mount read-only here")
        yield folder
    finally:
        _mount("umount", target)


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    folder.mkdir(parents=True)
    tool = shutil.which("mount")
    if os.geteuid() != 0 or tool is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run([tool, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)])
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write zeros until the file system has not one byte left."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        block = bytes(1 << 16)
        while True:
            try:
                handle.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                if len(block) == 1:
                    return
                block = block[: len(block) // 2]
