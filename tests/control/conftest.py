"""Fixtures for the control channel: short run paths, a private runtime dir, a fake run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.control.harness import FakeRun

RUN_NAME = "20261127-181500-tiny"


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary directory with a short path (pytest's tmp_path may be too long for a
    socket address, which would send every socket to the runtime directory)."""
    path = Path(tempfile.mkdtemp(prefix="tt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """XDG_RUNTIME_DIR pointed at a (short) directory of this test's own."""
    path = Path(tempfile.mkdtemp(prefix="tx-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def runs_dir(short_tmp: Path) -> Path:
    path = short_tmp / "runs"
    path.mkdir()
    return path


@pytest.fixture
def fake_run(runs_dir: Path) -> Iterator[FakeRun]:
    with FakeRun(runs_dir / RUN_NAME) as run:
        yield run
