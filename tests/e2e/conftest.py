"""Fixtures of the end-to-end tests: the warm launcher, short private directories."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.warm import WarmLauncher, WarmProcess


@pytest.fixture(scope="session")
def warm() -> Iterator[WarmLauncher]:
    launcher = WarmLauncher()
    yield launcher
    launcher.close()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A directory with a short path, so control sockets live in the run directory itself."""
    path = Path(tempfile.mkdtemp(prefix="tte-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def runs_dir(short_tmp: Path) -> Path:
    return short_tmp / "runs"


@pytest.fixture(autouse=True)
def _private_environment(monkeypatch: pytest.MonkeyPatch, short_tmp: Path) -> None:
    """The user's key settings, runtime directory and colour wishes must not leak in."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(short_tmp / "config"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_tmp))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


@pytest.fixture
def processes() -> Iterator[list[WarmProcess]]:
    """Runs a test starts; any still alive at its end are killed."""
    started: list[WarmProcess] = []
    yield started
    for process in started:
        process.close()
