"""A really read-only folder for tests: a read-only bind mount where the tests run as root (who
ignores permission bits), the write bits taken away otherwise."""

from __future__ import annotations

import contextlib
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
