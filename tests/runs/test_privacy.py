"""One sharing policy for the whole run directory: private by default, shared when asked."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.test_cli_runs import TINY
from tuitrain.cli import main


def modes(run_dir: Path) -> dict[str, int]:
    """The permission bits of the run directory and everything in it, by relative path."""
    found = {".": stat.S_IMODE(run_dir.stat().st_mode)}
    for path in run_dir.rglob("*"):
        found[str(path.relative_to(run_dir))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def run_once(runs_dir: Path, *extra: str) -> Path:
    argv = ["run", "default", *TINY, "--set", "train.epochs=1", *extra]
    assert main([*argv, "--headless", "--runs-dir", str(runs_dir), "--name", "p"]) == 0
    (run,) = runs_dir.iterdir()
    return run


@pytest.fixture(autouse=True)
def _umask_kept() -> object:
    earlier = os.umask(0o022)  # a usual login umask: what a run must not simply inherit
    yield
    os.umask(earlier)


def test_a_run_directory_is_private_throughout_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUITRAIN_SHARE", raising=False)
    run = run_once(tmp_path / "runs")
    found = modes(run)
    assert {"events.jsonl", "metrics.csv", "status.json", "preset.yaml"} <= set(found)
    assert "checkpoints/last.pt" in found and "checkpoints" in found
    assert {name: mode for name, mode in found.items() if mode & 0o077} == {}
    assert os.umask(0o022) == 0o022  # the process umask is given back after the run


def test_group_sharing_opens_every_file_to_the_group_only_and_resume_reapplies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUITRAIN_SHARE", "group")
    run = run_once(tmp_path / "runs")
    found = modes(run)
    folders = {name for name in found if (run / name).is_dir()}
    assert {found[name] for name in folders} == {0o750}
    assert {mode for name, mode in found.items() if name not in folders} == {0o640}
    monkeypatch.setenv("TUITRAIN_SHARE", "private")
    assert main(["resume", str(run), "--epochs", "2", "--headless"]) == 0
    assert {name: mode for name, mode in modes(run).items() if mode & 0o077} == {}


def test_an_unknown_policy_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TUITRAIN_SHARE", "everyone")
    argv = ["run", "default", *TINY, "--headless", "--runs-dir", str(tmp_path / "runs")]
    assert main(argv) == 2
    assert "TUITRAIN_SHARE='everyone' is not a sharing policy" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
