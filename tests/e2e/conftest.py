"""Fixtures of the end-to-end tests: the warm launcher, short private directories."""

from __future__ import annotations

import os
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


PRIVATE = ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "TERM")


def private_env(home: Path) -> dict[str, str]:
    """The environment for runs: the user's key settings, runtime directory and colour wishes
    must not leak in."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"), XDG_RUNTIME_DIR=str(home), TERM="xterm-256color"
    )
    return env


@pytest.fixture(autouse=True)
def _private_environment(monkeypatch: pytest.MonkeyPatch, short_tmp: Path) -> None:
    env = private_env(short_tmp)
    for key in PRIVATE:
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def processes() -> Iterator[list[WarmProcess]]:
    """Runs a test starts; any still alive at its end are killed."""
    started: list[WarmProcess] = []
    yield started
    for process in started:
        process.close()
